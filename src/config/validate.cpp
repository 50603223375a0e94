#include "sections.h"

#include <algorithm>
#include <utility>

namespace berth::config::detail {
namespace {

// The path as Go's path.Clean would leave it: no "//", no "." segments, ".." resolved
// lexically, no trailing "/". Symbolic links are not followed: the layer touches no files.
std::string clean_path(std::string_view path) {
    bool absolute = !path.empty() && path.front() == '/';
    std::vector<std::string_view> segments;
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t slash = std::min(path.find('/', start), path.size());
        std::string_view segment = path.substr(start, slash - start);
        if (segment == "..") {
            if (!segments.empty() && segments.back() != "..") {
                segments.pop_back();
            } else if (!absolute) {
                segments.push_back(segment);
            }
        } else if (!segment.empty() && segment != ".") {
            segments.push_back(segment);
        }
        start = slash + 1;
    }
    std::string cleaned = absolute ? "/" : "";
    for (std::size_t i = 0; i < segments.size(); ++i) {
        cleaned += (i > 0 ? "/" : "");
        cleaned += segments[i];
    }
    return cleaned.empty() ? "." : cleaned;
}

// Whether `inner` is `outer` or lies below it; paths of different kinds (absolute and
// relative) cannot be compared without the working directory, so they never overlap here.
bool contains(const std::string& outer, const std::string& inner) {
    if (outer == inner) {
        return true;
    }
    if (outer == "/") {
        return inner.front() == '/';
    }
    if (outer == ".") {
        return inner.front() != '/' && inner.substr(0, 3) != "../" && inner != "..";
    }
    return inner.size() > outer.size() && inner.compare(0, outer.size(), outer) == 0 &&
           inner[outer.size()] == '/';
}

bool same_parameters(const StorageConfig& a, const StorageConfig& b) {
    return a.dedupe == b.dedupe && a.gc == b.gc && a.gc_delay == b.gc_delay &&
           a.gc_interval == b.gc_interval;
}

bool check_sub_path(Reader& reader, const Storage& storage, const std::string& route,
                    const StorageConfig& store) {
    Reader::Scope sub_paths = reader.key("subPaths");
    Reader::Scope entry = reader.entry(route);
    Reader::Scope key = reader.key("rootDirectory");
    if (store.root_directory.empty()) {
        return reader.fail("required");
    }
    std::string root = clean_path(store.root_directory);
    std::string top = clean_path(storage.root_directory);
    // A store inside another would show up in it as repositories, and its GC would delete
    // the other's blobs.
    if (contains(top, root) || contains(root, top)) {
        return reader.fail(quote(store.root_directory) +
                           " overlaps storage.rootDirectory; each store needs its own directory");
    }
    for (const auto& [other_route, other] : storage.sub_paths) {
        if (other_route == route) {
            continue;
        }
        std::string other_root = clean_path(other.root_directory);
        if (root == other_root && !same_parameters(store, other)) {
            return reader.fail("shares its directory with subPaths[" + quote(other_route) +
                               "] but not dedupe, gc, gcDelay and gcInterval");
        }
        if (root != other_root && (contains(root, other_root) || contains(other_root, root))) {
            return reader.fail(quote(store.root_directory) +
                               " overlaps the directory of subPaths[" + quote(other_route) + "]");
        }
    }
    return true;
}

bool check_storage(Reader& reader, const Storage& storage) {
    Reader::Scope scope = reader.key("storage");
    if (storage.root_directory.empty()) {
        Reader::Scope key = reader.key("rootDirectory");
        return reader.fail("required (the directory that holds the repositories)");
    }
    for (const auto& [route, store] : storage.sub_paths) {
        if (!check_sub_path(reader, storage, route, store)) {
            return false;
        }
    }
    return true;
}

bool authentication_configured(const Config& config) {
    if (!config.http.auth.htpasswd_path.empty()) {
        return true;
    }
    // A refused method still counts: the server will not start, and the refusal, not this
    // rule, is what the administrator needs to hear.
    return std::any_of(
        config.refused_keys.begin(), config.refused_keys.end(), [](const RefusedKey& refused) {
            return refused.key == "http.auth.ldap" || refused.key == "http.auth.bearer" ||
                   refused.key == "http.auth.openid";
        });
}

// Zot's rule: without authentication, access control may only grant anonymous access.
bool check_anonymous_only(Reader& reader, const AccessControl& access) {
    static constexpr std::string_view problem =
        "needs authentication (http.auth.htpasswd); without it only anonymousPolicy may be used";
    Reader::Scope http = reader.key("http");
    Reader::Scope scope = reader.key("accessControl");
    if (!access.admin_policy.users.empty() || !access.admin_policy.actions.empty()) {
        Reader::Scope key = reader.key("adminPolicy");
        return reader.fail(problem);
    }
    bool anonymous = false;
    for (const auto& [glob, repository] : access.repositories) {
        Reader::Scope repositories = reader.key("repositories");
        Reader::Scope entry = reader.entry(glob);
        if (!repository.default_policy.empty()) {
            Reader::Scope key = reader.key("defaultPolicy");
            return reader.fail(problem);
        }
        for (std::size_t i = 0; i < repository.policies.size(); ++i) {
            const Policy& policy = repository.policies[i];
            if (!policy.users.empty() || !policy.actions.empty()) {
                Reader::Scope key = reader.key("policies");
                Reader::Scope index = reader.index(i);
                return reader.fail(problem);
            }
        }
        anonymous = anonymous || !repository.anonymous_policy.empty();
    }
    return anonymous || reader.fail(problem);
}

} // namespace

bool validate(Reader& reader, const Config& config) {
    if (!check_storage(reader, config.storage)) {
        return false;
    }
    if (config.http.access_control && !authentication_configured(config) &&
        !check_anonymous_only(reader, *config.http.access_control)) {
        return false;
    }
    if (config.extensions.ui.enable && !config.extensions.search.enable) {
        Reader::Scope extensions = reader.key("extensions");
        Reader::Scope ui = reader.key("ui");
        return reader.fail("needs extensions.search to be enabled");
    }
    return true;
}

} // namespace berth::config::detail

namespace berth::config {

std::vector<StoreLayout> store_layouts(const Storage& storage) {
    std::vector<StoreLayout> layouts{StoreLayout{&storage, {}}};
    std::vector<std::string> directories{detail::clean_path(storage.root_directory)};
    for (const auto& [route, store] : storage.sub_paths) {
        std::string directory = detail::clean_path(store.root_directory);
        auto known = std::find(directories.begin(), directories.end(), directory);
        if (known == directories.end()) {
            directories.push_back(std::move(directory));
            layouts.push_back(StoreLayout{&store, {route}});
        } else {
            layouts[static_cast<std::size_t>(known - directories.begin())].routes.push_back(route);
        }
    }
    return layouts;
}

} // namespace berth::config
