// Keeping the index in step with the store: the startup build, the observer, and the reads of
// image configs (facts for the index, histories for queries).
#include <berth/ext/search.h>

#include <berth/io/ops.h>
#include <berth/util/log.h>

#include <algorithm>

namespace berth::ext {

Search::Search(io::Loop& loop, storage::Stores store, SearchAccess& access, SearchOptions options)
    : loop_(loop), store_(store), access_(access), options_(std::move(options)),
      built_event_(loop) {
    load_preferences();
    store_.set_observer(this);
}

Search::~Search() {
    store_.set_observer(nullptr);
}

io::Task<void> Search::build() {
    auto started = io::Clock::now();
    std::string last;
    bool more = true;
    while (more) {
        std::vector<std::string> names = store_.repositories(last, 256, more);
        for (const std::string& name : names) {
            for (const storage::ManifestHead& head : store_.manifests(name)) {
                auto stored = co_await store_.get_manifest(name, head.digest.str());
                if (!stored || !store_.head_manifest(name, head.digest.str())) {
                    continue; // deleted meanwhile, or unreadable (the store logged it)
                }
                auto info = oci::parse_manifest(stored->body, stored->media_type);
                if (info && index_.add_manifest(name, head.digest, stored->body.size(), *info)) {
                    co_await load_config(name, head.digest, info->config->digest);
                }
            }
            auto tags = store_.tags(name);
            for (const std::string& tag : tags ? *tags : std::vector<std::string>{}) {
                if (auto head = store_.head_manifest(name, tag)) {
                    index_.set_tag(name, tag, head->digest);
                }
            }
            count_stars(name);
        }
        if (!names.empty()) {
            last = names.back();
        }
    }
    built_ = true;
    built_event_.notify_all();
    auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(io::Clock::now() - started);
    log::info("search index built")
        .unum("repositories", index_.repositories().size())
        .unum("tags", index_.tag_count())
        .unum("manifests", index_.manifest_count())
        .unum("bytes", index_.memory_bytes())
        .num("duration_ms", elapsed.count());
}

void Search::manifest_put(std::string_view repository, const oci::Digest& digest,
                          std::uint64_t size, const std::optional<std::string>& tag,
                          const oci::ManifestInfo& info) {
    bool needs_config = index_.add_manifest(repository, digest, size, info);
    if (tag) {
        index_.set_tag(repository, *tag, digest);
    }
    count_stars(repository);
    if (needs_config) {
        io::spawn(load_config(std::string(repository), digest, info.config->digest));
    }
}

void Search::manifest_deleted(std::string_view repository, const oci::Digest& digest) {
    index_.remove_manifest(repository, digest);
}

void Search::tag_deleted(std::string_view repository, std::string_view tag) {
    index_.remove_tag(repository, tag);
}

io::Task<std::optional<std::string>> Search::read_blob(std::string repository, oci::Digest digest) {
    auto blob = co_await store_.open_blob(repository, digest);
    if (!blob) {
        co_return std::nullopt;
    }
    std::optional<std::string> content;
    if (blob->size <= options_.config_bytes_max) {
        std::string bytes(blob->size, '\0');
        std::size_t done = 0;
        while (done < bytes.size()) {
            int count = co_await io::read(loop_, blob->fd, bytes.data() + done,
                                          static_cast<unsigned>(bytes.size() - done), done);
            if (count <= 0) {
                break;
            }
            done += static_cast<std::size_t>(count);
        }
        if (done == bytes.size()) {
            content = std::move(bytes);
        }
    }
    co_await store_.close_blob(*blob);
    co_return content;
}

io::Task<void> Search::load_config(std::string repository, oci::Digest manifest,
                                   oci::Digest config) {
    auto bytes = co_await read_blob(repository, config);
    std::optional<ImageConfigFacts> facts = bytes ? parse_image_config(*bytes) : std::nullopt;
    // Without a readable config the manifest is still listed, with what it says itself.
    index_.set_config(manifest, facts.value_or(ImageConfigFacts{}));
    if (!bytes) {
        log::debug("search: image config not read")
            .str("repository", repository)
            .str("config", config.str());
    }
}

io::Task<void> Search::load_histories(const std::vector<MissingHistory>& missing) {
    // A bound on the configs one request may have read: the image page needs one per platform.
    constexpr std::size_t reads_max = 32;
    std::size_t reads = 0;
    for (const MissingHistory& item : missing) {
        std::string digest_text = index_.digest(item.config_digest);
        auto digest = oci::parse_digest(digest_text);
        if (!digest || history_index_.contains(digest_text) || ++reads > reads_max) {
            continue;
        }
        auto bytes = co_await read_blob(item.repository, *digest);
        if (history_index_.contains(digest_text)) {
            continue;
        }
        histories_.emplace_back(digest_text,
                                bytes ? parse_image_history(*bytes) : std::vector<HistoryEntry>{});
        history_index_[digest_text] = std::prev(histories_.end());
        while (histories_.size() > options_.history_cache_entries) {
            history_index_.erase(histories_.front().first);
            histories_.pop_front();
        }
    }
}

} // namespace berth::ext
