// The subPaths router over real stores in real directories: which store a name goes to (Zot's
// rule: the route "/<first component>"), and the catalog as one sorted, paginated list.
#include <berth/storage/stores.h>

#include <berth/io/loop.h>

#include "storage_test_support.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>

using namespace berth;
namespace fs = std::filesystem;

namespace {

// An empty repository on disk, as a previous run (or Zot) would have left it.
void make_repository(const fs::path& root, const std::string& name) {
    fs::create_directories(root / name / "blobs" / "sha256");
    std::ofstream(root / name / "oci-layout") << R"({"imageLayoutVersion":"1.0.0"})";
    std::ofstream(root / name / "index.json") << R"({"schemaVersion":2,"manifests":[]})";
}

struct Fixture {
    test::TempDir dir{"berth-stores-test"};
    std::unique_ptr<io::Loop> loop;
    std::unique_ptr<storage::Store> top, team, shared;

    Fixture() {
        auto created = io::Loop::create(io::LoopOptions{256, 64 * 1024, 16});
        REQUIRE(created.has_value());
        loop = std::move(*created);
        top = open("top", {"app", "zed", "team/stale"});
        team = open("team", {"team/app", "team/b"});
        shared = open("shared", {"a/x", "b/y"});
    }

    std::unique_ptr<storage::Store> open(const std::string& name,
                                         std::initializer_list<std::string> repositories) {
        fs::path root = dir.path / name;
        fs::create_directories(root);
        for (const std::string& repository : repositories) {
            make_repository(root, repository);
        }
        storage::StoreOptions options;
        options.root = root.string();
        auto opened = storage::Store::open(*loop, options);
        REQUIRE(opened.has_value());
        return std::move(*opened);
    }

    storage::Stores stores() const {
        storage::Stores routed(*top);
        routed.add_route("/team", *team);
        routed.add_route("/a", *shared);
        routed.add_route("/b", *shared);
        routed.add_route("/c/d", *team); // can never match, as in Zot
        routed.add_route("/", *team);    // nor can this
        return routed;
    }
};

} // namespace

TEST_CASE("stores: a name goes to the route of its first component, else the default") {
    Fixture f;
    const storage::Stores stores = f.stores();
    CHECK(&stores.route("app") == f.top.get());
    CHECK(&stores.route("team/app") == f.team.get());
    CHECK(&stores.route("team/deep/er") == f.team.get());
    // The component is matched whole, and a name without `/` never leaves the default store.
    CHECK(&stores.route("team") == f.top.get());
    CHECK(&stores.route("teams/app") == f.top.get());
    CHECK(&stores.route("x/team/app") == f.top.get());
    CHECK(&stores.route("c/d/e") == f.top.get());
    CHECK(&stores.route("a/x") == f.shared.get());
    CHECK(&stores.route("b/y") == f.shared.get());
    // Two routes on one store count it once; the default comes first.
    REQUIRE(stores.all().size() == 3);
    CHECK(stores.all()[0] == f.top.get());
    CHECK(&stores.default_store() == f.top.get());
    CHECK(stores.same_store("a/x", "b/other"));
    CHECK(stores.same_store("app", "team"));
    CHECK_FALSE(stores.same_store("team/app", "app"));
    CHECK_FALSE(stores.same_store("a/x", "team/app"));
}

TEST_CASE("stores: one store alone routes everything to it") {
    Fixture f;
    const storage::Stores stores(*f.top);
    CHECK(&stores.route("team/app") == f.top.get());
    CHECK(stores.all().size() == 1);
}

TEST_CASE("stores: loading waits for every store, and the catalog spans them in order") {
    Fixture f;
    const storage::Stores stores = f.stores();
    CHECK_FALSE(stores.loaded());
    for (storage::Store* store : stores.all()) {
        test::run_task(*f.loop, store->load());
        CHECK(stores.loaded() == (store == stores.all().back()));
    }
    bool more = false;
    // team/stale is a directory of the default store that the team route hides.
    const std::vector<std::string> all = {"a/x", "app", "b/y", "team/app", "team/b", "zed"};
    CHECK(stores.repositories("", 100, more) == all);
    CHECK_FALSE(more);
    CHECK(stores.repository_exists("team/app"));
    CHECK_FALSE(stores.repository_exists("team/stale"));
    // Pages of two walk the same list.
    std::vector<std::string> walked;
    std::string last;
    do {
        std::vector<std::string> page = stores.repositories(last, 2, more);
        REQUIRE(page.size() <= 2);
        walked.insert(walked.end(), page.begin(), page.end());
        last = page.empty() ? last : page.back();
        if (page.empty()) {
            break;
        }
    } while (more);
    CHECK(walked == all);
    CHECK(stores.repositories("team/app", 2, more) == std::vector<std::string>{"team/b", "zed"});
    CHECK_FALSE(more);
    // A filter (the catalog's read permission) applies across stores.
    auto no_team = [](std::string_view name) {
        return !name.starts_with("team");
    };
    CHECK(stores.repositories("", 100, more, no_team) ==
          std::vector<std::string>{"a/x", "app", "b/y", "zed"});
    CHECK(stores.repositories("", 3, more, no_team) ==
          std::vector<std::string>{"a/x", "app", "b/y"});
    CHECK(more);
}
