// berth: an OCI container registry for one small machine.
#include <berth/auth/password.h>
#include <berth/config/config.h>
#include <berth/io/startup.h>
#include <berth/server/scrub_command.h>
#include <berth/server/serve.h>

#include "build_info.h"

#include <cstdio>
#include <string>
#include <string_view>

namespace {

constexpr std::string_view version = BERTH_VERSION;

constexpr std::string_view usage = R"(berth: an OCI container registry for one small machine

Usage:
  berth serve <config>     run the registry with a Zot-format config file (zot-config.json)
  berth verify <config>    check a config file; exit status 0 when berth can run with it
  berth scrub <config>     check every blob under storage.rootDirectory against its digest,
                           offline; prints REPOSITORY TAG STATUS AFFECTED BLOB ERROR per
                           image; exit status 0 when all are ok, 1 when any is affected
  berth htpasswd <user>    read a password on standard input, print an htpasswd line (bcrypt)
  berth version            print the version
  berth --help             print this help

The config file is Zot's zot-config.json (same keys, same meaning); see docs/configuration.md.
berth's own tunables live in its top-level "berth" object. SIGINT or SIGTERM stop the server
gracefully: it stops accepting, lets requests in flight finish within berth.drainTimeout, and
exits 0.

While serving: GET /livez, /readyz and /startupz answer 200 "ok" (or 500) without credentials;
with extensions.metrics enabled, its prometheus.path (default /metrics) serves Prometheus
metrics to the users accessControl.metrics allows. See README.md.
)";

void print(std::FILE* stream, std::string_view text) {
    std::fwrite(text.data(), 1, text.size(), stream);
}

berth::Expected<berth::config::Config, std::string> load(const std::string& path) {
    auto text = berth::io::read_file(path);
    if (!text) {
        return berth::Unexpected(text.error());
    }
    auto config = berth::config::parse_config(*text);
    if (!config) {
        return berth::Unexpected(path + ": " + config.error().message);
    }
    return std::move(*config);
}

int verify(const std::string& path) {
    auto config = load(path);
    if (!config) {
        print(stderr, config.error() + "\n");
        return 1;
    }
    if (std::string problem = berth::server::startup_problem(*config); !problem.empty()) {
        print(stderr, path + ": " + problem + "\n");
        return 1;
    }
    for (const std::string& key : config->ignored_keys) {
        print(stderr, path + ": " + key + ": not supported by berth; ignored\n");
    }
    print(stdout, path + ": valid\n");
    return 0;
}

int htpasswd(const std::string& user) {
    if (user.empty() || user.find(':') != std::string::npos ||
        user.find('\n') != std::string::npos) {
        print(stderr, "berth htpasswd: a user name may not be empty or contain ':'\n");
        return 2;
    }
    std::string password;
    for (int c = std::getchar(); c != EOF && c != '\n'; c = std::getchar()) {
        password += static_cast<char>(c);
    }
    if (!password.empty() && password.back() == '\r') {
        password.pop_back();
    }
    if (password.empty()) {
        print(stderr, "berth htpasswd: no password on standard input\n");
        return 2;
    }
    std::string hash = berth::auth::hash_password(password);
    if (hash.empty()) {
        print(stderr, "berth htpasswd: hashing failed\n");
        return 1;
    }
    print(stdout, user + ":" + hash + "\n");
    return 0;
}

int serve(const std::string& path) {
    auto config = load(path);
    if (!config) {
        print(stderr, config.error() + "\n");
        return 1;
    }
    return berth::server::serve(*config, {std::string(version), BERTH_COMMIT});
}

int scrub(const std::string& path) {
    auto config = load(path);
    if (!config) {
        print(stderr, config.error() + "\n");
        return 2;
    }
    return berth::server::scrub_command(*config, stdout, stderr);
}

} // namespace

int main(int argc, char** argv) {
    std::string_view command = argc > 1 ? argv[1] : "";
    if (command == "--help" || command == "-h" || command == "help") {
        print(stdout, usage);
        return 0;
    }
    if (command == "version" || command == "--version" || command == "-v") {
        print(stdout, "berth " + std::string(version) + " (" + BERTH_COMMIT + ")\n");
        return 0;
    }
    if (command == "htpasswd" && argc == 3) {
        return htpasswd(argv[2]);
    }
    if ((command == "serve" || command == "verify") && argc == 3) {
        return command == "serve" ? serve(argv[2]) : verify(argv[2]);
    }
    if (command == "scrub" && argc == 3) {
        return scrub(argv[2]);
    }
    print(stderr, usage);
    return 2;
}
