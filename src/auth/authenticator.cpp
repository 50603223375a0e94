#include <berth/auth/authenticator.h>

#include <berth/auth/htpasswd.h>
#include <berth/auth/password.h>
#include <berth/io/files.h>
#include <berth/io/ops.h>
#include <berth/io/random.h>
#include <berth/io/startup.h>
#include <berth/util/log.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <fcntl.h>
#include <linux/stat.h>

#include <algorithm>

namespace berth::auth {

namespace {

// Checks waiting for the helper thread; beyond this a login burst is answered 503 at once.
constexpr std::size_t checks_queued_max = 64;
// Failed attempts a client address may make per window before it is refused outright.
constexpr unsigned failures_max = 10;
constexpr std::chrono::seconds failure_window{60};
// Client addresses tracked for failures; the stalest are forgotten beyond it.
constexpr std::size_t failure_clients_max = 4096;
// How often the htpasswd file is looked at for changes.
constexpr std::chrono::seconds watch_period{2};
constexpr std::size_t htpasswd_bytes_max = 16 << 20;

bool starts_with_ignore_case(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) {
        return false;
    }
    for (std::size_t i = 0; i < prefix.size(); i++) {
        if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) {
            return false;
        }
    }
    return true;
}

// "Basic <base64 of user:password>" → user:password, or nothing when malformed.
std::optional<std::string> decode_basic(std::string_view header) {
    if (!starts_with_ignore_case(header, "basic ")) {
        return std::nullopt;
    }
    std::string_view encoded = header.substr(6);
    while (!encoded.empty() && encoded.front() == ' ') {
        encoded.remove_prefix(1);
    }
    while (!encoded.empty() && encoded.back() == ' ') {
        encoded.remove_suffix(1);
    }
    if (encoded.empty() || encoded.size() % 4 != 0 || encoded.size() > 4096) {
        return std::nullopt;
    }
    std::string decoded(encoded.size() / 4 * 3, '\0');
    int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                                 reinterpret_cast<const unsigned char*>(encoded.data()),
                                 static_cast<int>(encoded.size()));
    if (length < 0) {
        return std::nullopt;
    }
    std::size_t padding = encoded.ends_with("==") ? 2 : encoded.ends_with('=') ? 1 : 0;
    decoded.resize(static_cast<std::size_t>(length) - padding);
    return decoded;
}

class CheckJob final : public io::Job {
public:
    CheckJob(std::string password, std::string hash)
        : password_(std::move(password)), hash_(std::move(hash)) {}
    ~CheckJob() override { OPENSSL_cleanse(password_.data(), password_.size()); }
    void run() override { ok_ = verify_password(password_, hash_); }
    bool ok() const { return ok_; }

private:
    std::string password_;
    std::string hash_;
    bool ok_ = false;
};

} // namespace

Authenticator::Authenticator(io::Loop& loop, const config::Config& config)
    : loop_(loop), path_(config.http.auth.htpasswd_path), fail_delay_(config.http.auth.fail_delay),
      cache_entries_max_(config.berth.credential_cache_entries),
      cache_ttl_(
          std::chrono::duration_cast<io::Clock::duration>(config.berth.credential_cache_ttl)) {
    io::fill_random(&seed_, sizeof(seed_));
}

Authenticator::~Authenticator() = default;

Expected<std::unique_ptr<Authenticator>, std::string>
Authenticator::create(io::Loop& loop, const config::Config& config) {
    std::unique_ptr<Authenticator> authenticator(new Authenticator(loop, config));
    auto text = io::read_file(authenticator->path_);
    if (!text) {
        return Unexpected("http.auth.htpasswd.path: " + text.error());
    }
    auto parsed = parse_htpasswd(*text);
    if (!parsed) {
        return Unexpected("http.auth.htpasswd.path: " + authenticator->path_ + ": " +
                          parsed.error());
    }
    authenticator->hashes_ = std::move(parsed->hashes);
    auto worker = io::Worker::create(loop, checks_queued_max);
    if (!worker) {
        return Unexpected(worker.error());
    }
    authenticator->worker_ = std::move(*worker);
    authenticator->watch_timer_.bind<&Authenticator::watch>(authenticator.get());
    loop.arm(authenticator->watch_timer_, watch_period);
    return authenticator;
}

io::Task<Verdict> Authenticator::authenticate(std::string_view authorization,
                                              std::string_view client) {
    if (authorization.empty()) {
        co_return Verdict{Outcome::anonymous, {}};
    }
    Key key{XXH3_128bits_withSeed(authorization.data(), authorization.size(), seed_)};
    auto remembered = cache_.find(key);
    if (remembered != cache_.end() && remembered->second.generation == generation_ &&
        remembered->second.expires > loop_.now()) {
        stats_.cache_hits++;
        co_return Verdict{Outcome::authenticated, remembered->second.user};
    }
    stats_.cache_misses++;
    auto credentials = decode_basic(authorization);
    if (credentials && *credentials == ":") {
        co_return Verdict{Outcome::anonymous, {}};
    }
    std::size_t colon = credentials ? credentials->find(':') : std::string::npos;
    if (colon == std::string::npos || colon == 0) {
        count_failure(client);
        co_return Verdict{Outcome::rejected, {}};
    }
    // Joining a check already running for the same credentials costs nothing more.
    const bool joins = pending_.contains(key);
    if (!joins && too_many_failures(client)) {
        co_return Verdict{Outcome::throttled, {}};
    }
    std::string user = credentials->substr(0, colon);
    std::string password = credentials->substr(colon + 1);
    OPENSSL_cleanse(credentials->data(), credentials->size());
    if (!joins && worker_->queued() >= checks_queued_max) {
        co_return Verdict{Outcome::overloaded, {}};
    }
    if (!joins) {
        // Counted before the check and forgiven after a success: guesses sent all at once
        // count at once, instead of each passing the limit before any has failed.
        count_failure(client);
    }
    bool ok = co_await verify(key, user, std::move(password));
    if (!ok) {
        co_return Verdict{Outcome::rejected, {}};
    }
    if (!joins) {
        forgive_failure(client);
    }
    co_return Verdict{Outcome::authenticated, std::move(user)};
}

io::Task<bool> Authenticator::verify(const Key& key, std::string user, std::string password) {
    // A client that opens several connections at once with new credentials pays one check.
    auto running = pending_.find(key);
    if (running != pending_.end()) {
        Pending& shared = *running->second;
        shared.waiters++;
        co_await shared.done.wait();
        bool ok = shared.ok;
        if (--shared.waiters == 0 && shared.finished) {
            pending_.erase(key);
        }
        co_return ok;
    }
    auto& shared = *pending_.emplace(key, std::make_unique<Pending>(loop_)).first->second;
    shared.waiters = 1;
    auto known = hashes_.find(user);
    std::uint64_t generation = generation_;
    bool ok = false;
    if (!hashes_.empty()) {
        // An unknown user is checked against a real user's hash (and refused whatever the
        // outcome): a wrong user name costs what a wrong password costs, so the time of the
        // answer does not tell which users exist.
        bool exists = known != hashes_.end();
        CheckJob job(std::move(password), exists ? known->second : hashes_.begin()->second);
        bool ran = co_await worker_->submit(job);
        ok = ran && job.ok() && exists && generation == generation_;
    }
    if (ok) {
        remember(key, user);
    } else {
        stats_.failures++;
    }
    shared.ok = ok;
    shared.finished = true;
    shared.done.notify_all();
    if (--shared.waiters == 0) {
        pending_.erase(key);
    }
    co_return ok;
}

void Authenticator::remember(const Key& key, const std::string& user) {
    if (cache_entries_max_ == 0) {
        return;
    }
    while (cache_.size() >= cache_entries_max_ && !cache_order_.empty()) {
        cache_.erase(cache_order_.front());
        cache_order_.pop_front();
    }
    auto [entry, added] =
        cache_.insert_or_assign(key, Remembered{user, loop_.now() + cache_ttl_, generation_});
    if (added) {
        cache_order_.push_back(key);
    }
}

std::uint64_t Authenticator::credential_stamp(std::string_view user) const {
    auto known = hashes_.find(user);
    if (known == hashes_.end()) {
        return 0;
    }
    return XXH3_64bits_withSeed(known->second.data(), known->second.size(), seed_) | 1;
}

bool Authenticator::too_many_failures(std::string_view client) {
    auto found = failures_.find(std::string(client));
    if (found == failures_.end()) {
        return false;
    }
    if (loop_.now() - found->second.window_start > failure_window) {
        failures_.erase(found);
        return false;
    }
    return found->second.count >= failures_max;
}

void Authenticator::forgive_failure(std::string_view client) {
    auto found = failures_.find(std::string(client));
    if (found != failures_.end() && found->second.count > 0) {
        found->second.count--;
    }
}

void Authenticator::count_failure(std::string_view client) {
    auto now = loop_.now();
    if (failures_.size() >= failure_clients_max) {
        std::erase_if(failures_, [&](const auto& item) {
            return now - item.second.window_start > failure_window;
        });
        if (failures_.size() >= failure_clients_max) {
            failures_.clear();
        }
    }
    Failures& entry = failures_[std::string(client)];
    if (entry.count == 0 || now - entry.window_start > failure_window) {
        entry = Failures{0, now};
    }
    entry.count++;
}

void Authenticator::watch() {
    if (!reloading_) {
        reloading_ = true;
        io::spawn(reload_if_changed());
    }
    loop_.arm(watch_timer_, watch_period);
}

io::Task<void> Authenticator::reload_if_changed() {
    struct statx info {};
    int result =
        co_await io::statx(loop_, AT_FDCWD, path_, 0, STATX_MTIME | STATX_SIZE | STATX_INO, &info);
    std::int64_t mtime = info.stx_mtime.tv_sec * 1'000'000'000LL + info.stx_mtime.tv_nsec;
    bool changed = result == 0 && (mtime != file_mtime_ns_ || info.stx_size != file_size_ ||
                                   info.stx_ino != file_inode_);
    if (result == 0) {
        file_mtime_ns_ = mtime;
        file_size_ = info.stx_size;
        file_inode_ = info.stx_ino;
    }
    if (changed) {
        // The first look also reads the file: it may have changed since the one read at startup.
        auto text = co_await io::read_whole(loop_, AT_FDCWD, path_, htpasswd_bytes_max);
        auto parsed = text ? parse_htpasswd(*text)
                           : Expected<Htpasswd, std::string>(Unexpected(std::string("unreadable")));
        if (!parsed) {
            log::error("htpasswd file not reloaded; the previous users stay")
                .str("path", path_)
                .str("error", parsed.error());
        } else if (parsed->hashes != hashes_) {
            hashes_ = std::move(parsed->hashes);
            // Remembered credentials may belong to removed users or old passwords.
            generation_++;
            cache_.clear();
            cache_order_.clear();
            log::info("htpasswd file reloaded").str("path", path_).unum("users", hashes_.size());
        }
    }
    reloading_ = false;
}

} // namespace berth::auth
