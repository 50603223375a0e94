// Stars and bookmarks per user (Zot's userprefs), kept in <root>/_userprefs.json. The file is
// read before the loop runs and replaced through the ring (temporary file, fsync, rename,
// directory fsync) after every change; changes made while a save runs go out in the next one.
#include <berth/ext/search.h>

#include <berth/io/ops.h>
#include <berth/io/startup.h>
#include <berth/util/json_writer.h>
#include <berth/util/log.h>
#include <berth/util/percent.h>

#include <simdjson.h>

#include <fcntl.h>

namespace berth::ext {

namespace {

constexpr std::string_view preferences_file = "_userprefs.json";

http::Response plain(int status, std::string_view message) {
    http::Response response(status);
    if (!message.empty()) {
        response.body(graphql_error_body(message), "application/json");
    }
    return response;
}

void read_names(simdjson::dom::element element, std::set<std::string, std::less<>>& out) {
    simdjson::dom::array names;
    if (element.get_array().get(names) != simdjson::SUCCESS) {
        return;
    }
    for (simdjson::dom::element name : names) {
        std::string_view text;
        if (name.get_string().get(text) == simdjson::SUCCESS) {
            out.emplace(text);
        }
    }
}

} // namespace

void Search::load_preferences() {
    auto text = io::read_file(options_.root + "/" + std::string(preferences_file));
    if (!text) {
        return; // none saved yet
    }
    simdjson::dom::parser parser;
    simdjson::dom::object users;
    if (parser.parse(*text).get_object().get(users) != simdjson::SUCCESS) {
        log::warn("user preferences unreadable; starting without them")
            .str("file", preferences_file);
        return;
    }
    for (simdjson::dom::key_value_pair user : users) {
        Preferences& preferences = preferences_[std::string(user.key)];
        simdjson::dom::element element;
        if (user.value["starred"].get(element) == simdjson::SUCCESS) {
            read_names(element, preferences.starred);
        }
        if (user.value["bookmarked"].get(element) == simdjson::SUCCESS) {
            read_names(element, preferences.bookmarked);
        }
    }
}

void Search::count_stars(std::string_view repository) {
    std::uint32_t stars = 0;
    for (const auto& [user, preferences] : preferences_) {
        stars += preferences.starred.contains(repository) ? 1 : 0;
    }
    index_.set_stars(repository, stars);
}

io::Task<void> Search::save_preferences() {
    if (saving_) {
        save_again_ = true;
        co_return;
    }
    saving_ = true;
    do {
        save_again_ = false;
        std::string text;
        util::JsonWriter json(text);
        json.begin_object();
        for (const auto& [user, preferences] : preferences_) {
            json.key(user).begin_object().key("starred").begin_array();
            for (const std::string& name : preferences.starred) {
                json.string(name);
            }
            json.end_array().key("bookmarked").begin_array();
            for (const std::string& name : preferences.bookmarked) {
                json.string(name);
            }
            json.end_array().end_object();
        }
        json.end_object();
        std::string path = options_.root + "/" + std::string(preferences_file);
        std::string temporary = path + ".tmp-save";
        int fd =
            co_await io::openat(loop_, AT_FDCWD, temporary, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int result = fd;
        for (std::size_t done = 0; result >= 0 && done < text.size();) {
            result = co_await io::write(loop_, fd, text.data() + done,
                                        static_cast<unsigned>(text.size() - done), done);
            done += result > 0 ? static_cast<std::size_t>(result) : 0;
            result = result == 0 ? -EIO : result;
        }
        if (result >= 0) {
            result = co_await io::fsync(loop_, fd);
        }
        if (fd >= 0) {
            co_await io::close(loop_, fd);
        }
        if (result >= 0) {
            result = co_await io::renameat(loop_, AT_FDCWD, temporary, AT_FDCWD, path);
        }
        int directory = -1; // not `result >= 0 ? co_await ... : -1`, which GCC 12 miscompiles
        if (result >= 0) {
            directory = co_await io::openat(loop_, AT_FDCWD, options_.root, O_RDONLY | O_DIRECTORY);
        }
        if (directory >= 0) {
            co_await io::fsync(loop_, directory);
            co_await io::close(loop_, directory);
        }
        if (result < 0) {
            log::error("cannot save user preferences").num("errno", -result);
        }
    } while (save_again_);
    saving_ = false;
}

io::Task<void> Search::userprefs(http::Exchange& exchange) {
    if (!co_await access_.admit(exchange)) {
        co_return;
    }
    std::string user(exchange.user());
    if (user.empty()) {
        exchange.respond(plain(403, "stars and bookmarks need a signed-in user"));
        co_return;
    }
    util::QueryParams params = util::parse_query(exchange.request().query);
    std::string repository(util::query_first(params, "repo").value_or(""));
    std::string_view action = util::query_first(params, "action").value_or("");
    if (repository.empty() || (action != "toggleStar" && action != "toggleBookmark")) {
        exchange.respond(plain(400, "want ?repo=<name>&action=toggleStar|toggleBookmark"));
        co_return;
    }
    // A repository the user may not read answers as one that does not exist.
    if (!store_.repository_exists(repository) || !access_.may_read(exchange, repository)) {
        exchange.respond(plain(404, "repository not found"));
        co_return;
    }
    Preferences& preferences = preferences_[user];
    auto& names = action == "toggleStar" ? preferences.starred : preferences.bookmarked;
    if (!names.erase(repository)) {
        names.insert(repository);
    }
    count_stars(repository);
    co_await save_preferences();
    exchange.respond(http::Response(200));
}

} // namespace berth::ext
