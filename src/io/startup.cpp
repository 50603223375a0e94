#include <berth/io/startup.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace berth::io {

namespace {

std::string errno_text() {
    return std::strerror(errno);
}

} // namespace

Expected<std::string, std::string> read_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return Unexpected("cannot open " + path + ": " + errno_text());
    }
    std::string content;
    char chunk[16384];
    while (true) {
        ssize_t count = ::read(fd, chunk, sizeof(chunk));
        if (count < 0 && errno == EINTR) {
            continue;
        }
        if (count < 0) {
            std::string error = "cannot read " + path + ": " + errno_text();
            ::close(fd);
            return Unexpected(error);
        }
        if (count == 0) {
            break;
        }
        content.append(chunk, static_cast<std::size_t>(count));
    }
    ::close(fd);
    return content;
}

Expected<Ok, std::string> write_new_file(const std::string& path, const std::string& content,
                                         unsigned mode) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        return Unexpected("cannot create " + path + ": " + errno_text());
    }
    std::size_t done = 0;
    while (done < content.size()) {
        ssize_t count = ::write(fd, content.data() + done, content.size() - done);
        if (count < 0 && errno == EINTR) {
            continue;
        }
        if (count <= 0) {
            std::string error = "cannot write " + path + ": " + errno_text();
            ::close(fd);
            return Unexpected(error);
        }
        done += static_cast<std::size_t>(count);
    }
    ::fsync(fd);
    ::close(fd);
    return Ok{};
}

bool file_exists(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0;
}

Expected<ListenSocket, std::string> listen_tcp(const std::string& address, std::uint16_t port,
                                               int backlog) {
    sockaddr_storage storage{};
    socklen_t length;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
    std::string host = address.empty() ? "0.0.0.0" : address;
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        length = sizeof(sockaddr_in);
    } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        length = sizeof(sockaddr_in6);
    } else {
        return Unexpected("http.address: " + address + " is not an IPv4 or IPv6 address");
    }
    int fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return Unexpected("socket: " + errno_text());
    }
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
        std::string error =
            "cannot listen on " + address + ":" + std::to_string(port) + ": " + errno_text();
        ::close(fd);
        return Unexpected(error);
    }
    if (::listen(fd, backlog) != 0) {
        std::string error = "listen: " + errno_text();
        ::close(fd);
        return Unexpected(error);
    }
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length);
    std::uint16_t bound = ntohs(storage.ss_family == AF_INET ? v4->sin_port : v6->sin6_port);
    return ListenSocket{fd, bound};
}

Expected<bool, std::string> prepare_directory(const std::string& path) {
    if (path.empty()) {
        return Unexpected(std::string("storage.rootDirectory is empty"));
    }
    for (std::size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
        std::string prefix = path.substr(0, slash);
        if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
            return Unexpected("storage.rootDirectory: cannot create " + prefix + ": " +
                              errno_text());
        }
        if (slash == std::string::npos) {
            break;
        }
    }
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
        return Unexpected("storage.rootDirectory: " + path + " is not a directory");
    }
    std::string probe = path + "/.berth-probe";
    std::string linked = probe + "-link";
    ::unlink(linked.c_str());
    auto created = write_new_file(probe, "probe", 0600);
    if (!created) {
        return Unexpected("storage.rootDirectory: " + path +
                          " is not writable: " + created.error());
    }
    bool can_link = ::link(probe.c_str(), linked.c_str()) == 0;
    ::unlink(linked.c_str());
    ::unlink(probe.c_str());
    return can_link;
}

Expected<Ok, std::string> check_directory(const std::string& path) {
    if (path.empty()) {
        return Unexpected(std::string("storage.rootDirectory is empty"));
    }
    std::string probe = path;
    while (true) {
        struct stat info {};
        if (::stat(probe.c_str(), &info) == 0) {
            if (!S_ISDIR(info.st_mode)) {
                return Unexpected("storage.rootDirectory: " + probe + " is not a directory");
            }
            // access() says yes to root on read-only filesystems; only trying tells. The probe
            // is removed at once.
            std::string trial = probe + "/.berth-verify-" + std::to_string(::getpid());
            if (::mkdir(trial.c_str(), 0700) != 0) {
                return Unexpected("storage.rootDirectory: cannot create anything in " + probe +
                                  ": " + errno_text());
            }
            ::rmdir(trial.c_str());
            return Ok{};
        }
        if (errno != ENOENT) {
            return Unexpected("storage.rootDirectory: " + probe + ": " + errno_text());
        }
        std::size_t slash = probe.find_last_of('/');
        if (slash == std::string::npos) {
            probe = ".";
        } else {
            probe = slash == 0 ? "/" : probe.substr(0, slash);
        }
    }
}

std::uint64_t raise_open_file_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        return 1024;
    }
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    return limit.rlim_cur;
}

} // namespace berth::io

namespace berth::io::startup {

Expected<std::string, std::string> read_file_at(int dir_fd, const std::string& path) {
    int fd = ::openat(dir_fd, path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return Unexpected("cannot open " + path + ": " + std::strerror(errno));
    }
    std::string content;
    char chunk[16384];
    ssize_t count;
    while ((count = ::read(fd, chunk, sizeof(chunk))) > 0 || (count < 0 && errno == EINTR)) {
        if (count > 0) {
            content.append(chunk, static_cast<std::size_t>(count));
        }
    }
    ::close(fd);
    if (count < 0) {
        return Unexpected("cannot read " + path + ": " + std::strerror(errno));
    }
    return content;
}

std::optional<std::uint64_t> file_size_at(int dir_fd, const std::string& path) {
    struct stat info {};
    if (::fstatat(dir_fd, path.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(info.st_mode)) {
        return std::nullopt;
    }
    return static_cast<std::uint64_t>(info.st_size);
}

int truncate_at(int dir_fd, const std::string& path, std::uint64_t size) {
    int fd = ::openat(dir_fd, path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        return -errno;
    }
    int result = ::ftruncate(fd, static_cast<off_t>(size)) == 0 ? 0 : -errno;
    ::close(fd);
    return result;
}

int unlink_at(int dir_fd, const std::string& path) {
    return ::unlinkat(dir_fd, path.c_str(), 0) == 0 ? 0 : -errno;
}

int open_for_writing_at(int dir_fd, const std::string& path, int extra_flags) {
    int fd = ::openat(dir_fd, path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW | extra_flags);
    return fd >= 0 ? fd : -errno;
}

int open_directory(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return fd >= 0 ? fd : -errno;
}

void close_fd(int fd) {
    ::close(fd);
}

int make_directory_at(int dir_fd, const std::string& path) {
    return ::mkdirat(dir_fd, path.c_str(), 0755) == 0 || errno == EEXIST ? 0 : -errno;
}

} // namespace berth::io::startup
