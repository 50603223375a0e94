#include <berth/io/directory.h>

#include <berth/io/loop.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cstring>

namespace berth::io {

namespace {

// One getdents64 call's buffer: about 350 entries of blob names (64 hex digits).
constexpr std::size_t getdents_bytes = 32 * 1024;

// The layout of the kernel's linux_dirent64, which glibc 2.36 does not declare.
struct KernelDirent {
    std::uint64_t inode;
    std::int64_t offset;
    unsigned short length;
    unsigned char type;
    char name[1];
};

DirectoryEntry entry_of(int fd, const char* name, unsigned char type) {
    DirectoryEntry item{name, type == DT_DIR, type == DT_REG};
    if (type == DT_UNKNOWN) {
        // Some filesystems do not fill d_type; ask (rare, and on a name just listed).
        struct stat info {};
        if (::fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0) {
            item.is_directory = S_ISDIR(info.st_mode);
            item.is_file = S_ISREG(info.st_mode);
        }
    }
    return item;
}

} // namespace

DirectoryReader::DirectoryReader(int dir_fd, const std::string& path)
    : fd_(::openat(dir_fd, path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {}

DirectoryReader::~DirectoryReader() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

bool DirectoryReader::next(std::vector<DirectoryEntry>& out) {
    if (fd_ < 0) {
        return false;
    }
    alignas(KernelDirent) std::array<char, getdents_bytes> buffer;
    long count = ::syscall(SYS_getdents64, fd_, buffer.data(), buffer.size());
    if (count <= 0) {
        ::close(fd_);
        fd_ = -1;
        return false;
    }
    for (long at = 0; at < count;) {
        const auto* entry = reinterpret_cast<const KernelDirent*>(buffer.data() + at);
        at += entry->length;
        if (std::strcmp(entry->name, ".") == 0 || std::strcmp(entry->name, "..") == 0) {
            continue;
        }
        out.push_back(entry_of(fd_, entry->name, entry->type));
    }
    return true;
}

std::vector<DirectoryEntry> list_directory(int dir_fd, const std::string& path) {
    std::vector<DirectoryEntry> entries;
    DirectoryReader reader(dir_fd, path);
    while (reader.next(entries)) {
    }
    return entries;
}

Task<std::vector<DirectoryEntry>> list_directory_in_slices(Loop& loop, int dir_fd,
                                                           std::string path) {
    std::vector<DirectoryEntry> entries;
    DirectoryReader reader(dir_fd, path);
    while (reader.next(entries)) {
        co_await loop.next_turn();
    }
    co_return entries;
}

} // namespace berth::io
