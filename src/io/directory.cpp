#include <berth/io/directory.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace berth::io {

std::vector<DirectoryEntry> list_directory(int dir_fd, const std::string& path) {
    std::vector<DirectoryEntry> entries;
    int fd = ::openat(dir_fd, path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return entries;
    }
    DIR* directory = ::fdopendir(fd);
    if (directory == nullptr) {
        ::close(fd);
        return entries;
    }
    while (dirent* entry = ::readdir(directory)) {
        std::string name = entry->d_name;
        if (name == "." || name == "..") {
            continue;
        }
        DirectoryEntry item{name, entry->d_type == DT_DIR, entry->d_type == DT_REG};
        if (entry->d_type == DT_UNKNOWN) {
            // Some filesystems do not fill d_type; ask (rare, and on a path just listed).
            struct stat info {};
            if (::fstatat(::dirfd(directory), entry->d_name, &info, AT_SYMLINK_NOFOLLOW) == 0) {
                item.is_directory = S_ISDIR(info.st_mode);
                item.is_file = S_ISREG(info.st_mode);
            }
        }
        entries.push_back(std::move(item));
    }
    ::closedir(directory);
    return entries;
}

} // namespace berth::io
