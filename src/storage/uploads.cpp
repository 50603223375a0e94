// Upload sessions: bytes hashed as they arrive and written through the ring, a state file
// that lets a client (or a restarted berth) resume, and the verified commit.
#include <berth/storage/store.h>

#include "files.h"
#include "store_impl.h"

#include <berth/io/directory.h>
#include <berth/io/ops.h>
#include <berth/io/startup.h>
#include <berth/storage/layout.h>
#include <berth/util/log.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>

namespace berth::storage {

namespace {

// Writes in flight per upload. More than one keeps the disk busy while the next piece is
// received and hashed; a few are enough, and each holds one of the shared write blocks.
constexpr unsigned writes_in_flight_max = 4;
// How often stale sessions are looked for.
constexpr std::chrono::seconds expiry_period{60};
constexpr std::string_view state_magic = "berth-upload-v1";

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

StoreError upload_unknown() {
    return StoreError{Failure::upload_unknown, 0, {}};
}

std::string to_hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(bytes.size() * 2);
    for (unsigned char byte : bytes) {
        hex += digits[byte >> 4];
        hex += digits[byte & 15];
    }
    return hex;
}

std::optional<std::string> from_hex(std::string_view hex) {
    if (hex.size() % 2 != 0) {
        return std::nullopt;
    }
    std::string bytes(hex.size() / 2, '\0');
    for (std::size_t i = 0; i < bytes.size(); i++) {
        unsigned value = 0;
        auto [end, error] = std::from_chars(hex.data() + 2 * i, hex.data() + 2 * i + 2, value, 16);
        if (error != std::errc() || end != hex.data() + 2 * i + 2) {
            return std::nullopt;
        }
        bytes[i] = static_cast<char>(value);
    }
    return bytes;
}

// The state file: magic, repository, size, last update (unix seconds), hash midstate (hex).
std::string format_state(const UploadLease::Session& session) {
    return std::string(state_magic) + "\n" + session.repository + "\n" +
           std::to_string(session.size) + "\n" + std::to_string(session.updated_unix) + "\n" +
           to_hex(session.hasher.save()) + "\n";
}

struct ParsedState {
    std::string repository;
    std::uint64_t size = 0;
    std::int64_t updated_unix = 0;
    std::optional<Hasher> hasher;
};

std::optional<ParsedState> parse_state(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        std::size_t end = text.find('\n');
        lines.push_back(text.substr(0, end));
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    }
    if (lines.size() != 5 || lines[0] != state_magic || !oci::valid_repository_name(lines[1])) {
        return std::nullopt;
    }
    ParsedState state;
    state.repository = lines[1];
    auto size = std::from_chars(lines[2].data(), lines[2].data() + lines[2].size(), state.size);
    auto time =
        std::from_chars(lines[3].data(), lines[3].data() + lines[3].size(), state.updated_unix);
    auto midstate = from_hex(lines[4]);
    if (size.ec != std::errc() || time.ec != std::errc() || !midstate) {
        return std::nullopt;
    }
    state.hasher = Hasher::restore(*midstate);
    if (!state.hasher) {
        return std::nullopt;
    }
    return state;
}

} // namespace

// ---- writes ------------------------------------------------------------------------------

namespace {

// One write of staged bytes, alive until the kernel is done with them.
struct PendingWrite {
    io::Loop* loop;
    UploadLease::Session* session;
    io::Block block;
    std::string_view data;
    std::uint64_t offset;
    bool direct;
    io::Completion completion;

    void submit() {
        io_uring_sqe* sqe = loop->ring().sqe(&completion);
        int fd = direct ? session->direct_fd : session->fd;
        io_uring_prep_write(sqe, fd, data.data(), static_cast<unsigned>(data.size()), offset);
    }

    void done(int result, std::uint32_t) {
        if (direct && result == -EINVAL) {
            // The filesystem took the O_DIRECT open but not the write: buffered from now on.
            session->direct_refused = true;
            direct = false;
            submit();
            return;
        }
        if (result > 0 && static_cast<std::size_t>(result) < data.size()) {
            // What is left may no longer be aligned.
            data.remove_prefix(static_cast<std::size_t>(result));
            offset += static_cast<std::uint64_t>(result);
            direct = false;
            submit();
            return;
        }
        if (result <= 0 && session->write_error == 0) {
            session->write_error = result == 0 ? ENOSPC : -result;
        }
        session->writes_in_flight--;
        session->writes_done.notify_all();
        delete this;
    }
};

bool aligned(std::uint64_t value) {
    return value % io::BlockPool::alignment == 0;
}

// How many bytes the staging block takes before it is written: a whole block when it starts
// on an alignment boundary, else only up to the next boundary, so that every later block
// starts aligned.
std::size_t staging_limit(const UploadLease::Session& session) {
    if (aligned(session.staging_offset)) {
        return session.staging.capacity();
    }
    return static_cast<std::size_t>(io::BlockPool::alignment -
                                    session.staging_offset % io::BlockPool::alignment);
}

// Hands the staged bytes to the kernel; synchronous, so that a lease can do it as it ends.
void submit_staging(io::Loop& loop, UploadLease::Session& session) {
    if (!session.staging || session.staging_length == 0) {
        session.staging = io::Block();
        return;
    }
    const bool direct = session.direct_fd >= 0 && !session.direct_refused &&
                        aligned(session.staging_offset) && aligned(session.staging_length);
    std::string_view data(session.staging.data(), session.staging_length);
    auto* write = new PendingWrite{
        &loop, &session, std::move(session.staging), data, session.staging_offset, direct, {}};
    io::bind<&PendingWrite::done>(write->completion, write);
    session.staging_length = 0;
    session.writes_in_flight++;
    write->submit();
}

io::Task<Result<Ok>> stage(io::Loop& loop, io::BlockPool& blocks, UploadLease::Session& session,
                           std::string_view bytes) {
    while (!bytes.empty()) {
        if (!session.staging) {
            while (session.writes_in_flight >= writes_in_flight_max && session.write_error == 0) {
                co_await session.writes_done.wait();
            }
            if (session.write_error != 0) {
                co_return Unexpected(io_failure(session.write_error));
            }
            session.staging = co_await blocks.acquire();
            session.staging_offset = session.size;
            session.staging_length = 0;
        }
        std::size_t room = staging_limit(session) - session.staging_length;
        std::size_t taken = std::min(room, bytes.size());
        std::memcpy(session.staging.data() + session.staging_length, bytes.data(), taken);
        session.staging_length += taken;
        session.size += taken;
        bytes.remove_prefix(taken);
        if (taken == room) {
            submit_staging(loop, session);
        }
    }
    co_return Ok{};
}

// Writes out what is staged and waits until every write is done.
io::Task<void> drain(io::Loop& loop, UploadLease::Session& session) {
    submit_staging(loop, session);
    while (session.writes_in_flight > 0) {
        co_await session.writes_done.wait();
    }
}

} // namespace

// ---- leases ------------------------------------------------------------------------------

UploadLease::UploadLease(UploadLease&& other) noexcept
    : store_(other.store_), session_(std::exchange(other.session_, nullptr)) {}

UploadLease& UploadLease::operator=(UploadLease&& other) noexcept {
    std::swap(store_, other.store_);
    std::swap(session_, other.session_);
    return *this;
}

UploadLease::~UploadLease() {
    if (session_ != nullptr) {
        // Bytes counted in size() must reach the file even when the request ends without a
        // flush (a failure), or the next request would resume past a hole.
        submit_staging(store_->impl_->loop, *session_);
        session_->leased = false;
        session_->updated_unix = unix_now();
    }
}

const std::string& UploadLease::id() const {
    return session_->id;
}
std::uint64_t UploadLease::size() const {
    return session_->size;
}

io::Task<Result<Ok>> UploadLease::append(std::string_view bytes) {
    Session& session = *session_;
    if (session.write_error != 0) {
        co_return Unexpected(io_failure(session.write_error));
    }
    session.hasher.update(bytes);
    auto staged = co_await stage(store_->impl_->loop, *store_->impl_->write_blocks, session, bytes);
    co_return staged;
}

io::Task<Result<Ok>> UploadLease::flush() {
    Session& session = *session_;
    co_await drain(store_->impl_->loop, session);
    if (session.write_error != 0) {
        co_return Unexpected(io_failure(session.write_error));
    }
    // storage.commit: what a PATCH acknowledged survives a power cut, as in Zot. The state
    // written next must never claim bytes the disk does not hold.
    if (store_->impl_->options.commit) {
        int synced = co_await io::fsync(store_->impl_->loop, session.fd, true);
        if (synced < 0) {
            co_return Unexpected(io_failure(-synced));
        }
    }
    session.updated_unix = unix_now();
    auto saved = co_await store_->impl_->save_upload_state(session);
    co_return saved;
}

// ---- sessions ----------------------------------------------------------------------------

io::Task<Result<Ok>> Store::Impl::save_upload_state(UploadLease::Session& session) {
    std::string state = format_state(session);
    auto written = co_await files::replace_file(loop, root_fd, layout::upload_state(session.id),
                                                state, options.commit);
    if (!written) {
        co_return Unexpected(io_failure(written.error()));
    }
    co_return Ok{};
}

io::Task<Result<UploadStatus>> Store::start_upload(std::string_view repository,
                                                   oci::DigestAlgorithm algorithm) {
    co_await wait_loaded();
    auto owner = co_await impl_->obtain(repository);
    if (!owner) {
        co_return Unexpected(owner.error());
    }
    auto session = std::make_unique<UploadLease::Session>(impl_->loop, algorithm);
    session->id = files::random_id();
    session->repository = std::string(repository);
    session->updated_unix = unix_now();
    int fd = co_await io::openat(impl_->loop, impl_->root_fd, layout::upload_data(session->id),
                                 O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) {
        co_return Unexpected(io_failure(-fd));
    }
    session->fd = fd;
    // Refused on filesystems without O_DIRECT (tmpfs before Linux 6.6): buffered writes then.
    int direct = co_await io::openat(impl_->loop, impl_->root_fd, layout::upload_data(session->id),
                                     O_WRONLY | O_DIRECT);
    session->direct_fd = direct >= 0 ? direct : -1;
    auto saved = co_await impl_->save_upload_state(*session);
    if (!saved) {
        co_await io::close(impl_->loop, fd);
        if (session->direct_fd >= 0) {
            co_await io::close(impl_->loop, session->direct_fd);
        }
        co_await io::unlinkat(impl_->loop, impl_->root_fd, layout::upload_data(session->id));
        co_return Unexpected(saved.error());
    }
    UploadStatus status{session->id, 0};
    impl_->uploads.emplace(session->id, std::move(session));
    co_return status;
}

Result<UploadStatus> Store::upload_status(std::string_view repository, std::string_view id) const {
    auto found = impl_->uploads.find(std::string(id));
    if (found == impl_->uploads.end() || found->second->repository != repository ||
        found->second->finished) {
        return Unexpected(upload_unknown());
    }
    return UploadStatus{found->second->id, found->second->size};
}

Result<UploadLease> Store::lease_upload(std::string_view repository, std::string_view id) {
    auto found = impl_->uploads.find(std::string(id));
    if (found == impl_->uploads.end() || found->second->repository != repository ||
        found->second->finished) {
        return Unexpected(upload_unknown());
    }
    UploadLease::Session& session = *found->second;
    if (session.leased) {
        return Unexpected(StoreError{Failure::upload_busy, 0, {}});
    }
    session.leased = true;
    return UploadLease(this, &session);
}

namespace {

// The digest of an upload's bytes under another algorithm than the one hashed on arrival
// (a client that finishes an upload with a sha512 digest it did not announce): read back in
// slices, yielding between them so that requests keep flowing.
io::Task<Expected<oci::Digest, int>> hash_file(io::Loop& loop, int root_fd, std::string path,
                                               oci::DigestAlgorithm algorithm) {
    constexpr std::size_t slice = 1 << 20;
    int fd = co_await io::openat(loop, root_fd, path, O_RDONLY);
    if (fd < 0) {
        co_return Unexpected(-fd);
    }
    Hasher hasher(algorithm);
    std::string buffer(slice, '\0');
    std::uint64_t offset = 0;
    int failure = 0;
    while (true) {
        int count = co_await io::read(loop, fd, buffer.data(), slice, offset);
        if (count <= 0) {
            failure = count < 0 ? -count : 0;
            break;
        }
        hasher.update(buffer.data(), static_cast<std::size_t>(count));
        offset += static_cast<std::uint64_t>(count);
        co_await loop.next_turn();
    }
    co_await io::close(loop, fd);
    if (failure != 0) {
        co_return Unexpected(failure);
    }
    co_return hasher.digest();
}

} // namespace

io::Task<Result<BlobInfo>> Store::finish_upload(UploadLease lease, const oci::Digest& digest) {
    UploadLease::Session& session = *lease.session_;
    co_await drain(impl_->loop, session);
    // From here the session ends whatever happens; nobody else may touch it.
    session.finished = true;
    lease.session_ = nullptr;
    std::string id = session.id;
    std::string repository = session.repository;
    std::uint64_t size = session.size;
    if (session.write_error != 0) {
        StoreError failure = io_failure(session.write_error);
        co_await impl_->discard_upload(id);
        co_return Unexpected(failure);
    }
    oci::Digest actual;
    if (digest.algorithm == session.hasher.algorithm()) {
        actual = session.hasher.digest();
    } else {
        auto rehashed = co_await hash_file(impl_->loop, impl_->root_fd, layout::upload_data(id),
                                           digest.algorithm);
        if (!rehashed) {
            co_await impl_->discard_upload(id);
            co_return Unexpected(io_failure(rehashed.error()));
        }
        actual = *rehashed;
    }
    if (!(actual == digest)) {
        co_await impl_->discard_upload(id);
        co_return Unexpected(StoreError{Failure::digest_mismatch, 0, {}});
    }
    // The bytes reach the disk before the blob becomes visible under its name.
    int synced = co_await io::fsync(impl_->loop, session.fd);
    if (synced < 0) {
        co_await impl_->discard_upload(id);
        co_return Unexpected(io_failure(-synced));
    }
    co_await io::close(impl_->loop, session.fd);
    session.fd = -1;
    auto committed = co_await impl_->commit_blob(layout::upload_data(id), repository, digest);
    co_await impl_->discard_upload(id);
    if (!committed) {
        co_return Unexpected(committed.error());
    }
    co_return BlobInfo{size};
}

io::Task<Result<Ok>> Store::cancel_upload(std::string_view repository, std::string_view id) {
    auto found = impl_->uploads.find(std::string(id));
    if (found == impl_->uploads.end() || found->second->repository != repository ||
        found->second->finished) {
        co_return Unexpected(upload_unknown());
    }
    if (found->second->leased) {
        co_return Unexpected(StoreError{Failure::upload_busy, 0, {}});
    }
    found->second->finished = true;
    co_await impl_->discard_upload(std::string(id));
    co_return Ok{};
}

io::Task<void> Store::Impl::discard_upload(std::string id) {
    auto found = uploads.find(id);
    if (found == uploads.end()) {
        co_return;
    }
    UploadLease::Session& session = *found->second;
    session.finished = true;
    session.staging = io::Block(); // staged bytes are dropped with the rest
    session.staging_length = 0;
    while (session.writes_in_flight > 0) {
        co_await session.writes_done.wait();
    }
    for (int* fd : {&session.fd, &session.direct_fd}) {
        if (*fd >= 0) {
            co_await io::close(loop, *fd);
            *fd = -1;
        }
    }
    co_await io::unlinkat(loop, root_fd, layout::upload_data(id));
    co_await io::unlinkat(loop, root_fd, layout::upload_state(id));
    uploads.erase(id);
}

void Store::Impl::schedule_expiry() {
    expiry_timer.bind<&Impl::expire_uploads>(this);
    loop.arm(expiry_timer, expiry_period);
}

void Store::Impl::expire_uploads() {
    auto lifetime = std::chrono::duration_cast<std::chrono::seconds>(options.upload_lifetime);
    std::int64_t oldest = unix_now() - lifetime.count();
    std::vector<std::string> stale;
    for (const auto& [id, session] : uploads) {
        if (!session->leased && !session->finished && session->updated_unix < oldest) {
            stale.push_back(id);
        }
    }
    for (const std::string& id : stale) {
        log::info("upload expired").str("upload", id).str("repository", uploads[id]->repository);
        uploads[id]->finished = true;
        io::spawn(discard_upload(id));
    }
    loop.arm(expiry_timer, expiry_period);
}

void Store::Impl::recover_uploads() {
    for (const io::DirectoryEntry& entry :
         io::list_directory(root_fd, std::string(layout::uploads_dir))) {
        std::string_view name = entry.name;
        if (!name.ends_with(".state")) {
            continue;
        }
        std::string id(name.substr(0, name.size() - 6));
        auto text = io::startup::read_file_at(root_fd, layout::upload_state(id));
        auto state = text ? parse_state(*text) : std::nullopt;
        auto data_size = io::startup::file_size_at(root_fd, layout::upload_data(id));
        if (!state || !data_size || *data_size < state->size || !oci::valid_upload_id(id)) {
            io::startup::unlink_at(root_fd, layout::upload_state(id));
            io::startup::unlink_at(root_fd, layout::upload_data(id));
            continue;
        }
        // Bytes past the saved size arrived in a request that never finished; the client
        // resumes from the saved size and overwrites them.
        if (*data_size > state->size) {
            io::startup::truncate_at(root_fd, layout::upload_data(id), state->size);
        }
        int fd = io::startup::open_for_writing_at(root_fd, layout::upload_data(id));
        if (fd < 0) {
            continue;
        }
        auto session = std::make_unique<UploadLease::Session>(loop, state->hasher->algorithm());
        session->id = id;
        session->repository = state->repository;
        session->fd = fd;
        int direct = io::startup::open_for_writing_at(root_fd, layout::upload_data(id), O_DIRECT);
        session->direct_fd = direct >= 0 ? direct : -1;
        session->size = state->size;
        session->hasher = *state->hasher;
        session->updated_unix = state->updated_unix;
        uploads.emplace(id, std::move(session));
    }
    // Files without a state are leftovers of interrupted manifest writes or sessions.
    for (const io::DirectoryEntry& entry :
         io::list_directory(root_fd, std::string(layout::uploads_dir))) {
        std::string_view name = entry.name;
        if (!name.ends_with(".state") && !uploads.contains(entry.name)) {
            io::startup::unlink_at(root_fd, layout::upload_data(entry.name));
        }
    }
}

} // namespace berth::storage
