// The loop with a real ring: file operations, the receive pool's bounds, timers and deferral.
#include <berth/io/loop.h>

#include <berth/io/event.h>
#include <berth/io/ops.h>
#include <berth/io/task.h>

#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

using namespace berth;

namespace {

std::unique_ptr<io::Loop> make_loop(std::size_t buffers = 8) {
    auto loop = io::Loop::create(io::LoopOptions{64, 4096, buffers});
    REQUIRE(loop.has_value());
    return std::move(*loop);
}

void run(io::Loop& loop, io::Task<void> task) {
    bool done = false;
    io::spawn(
        std::move(task), [](void* flag) { *static_cast<bool*>(flag) = true; }, &done);
    while (!done) {
        loop.turn();
    }
}

io::Task<void> write_then_read(io::Loop& loop, std::string directory, std::string& seen) {
    int dir = co_await io::openat(loop, AT_FDCWD, directory, O_RDONLY | O_DIRECTORY);
    REQUIRE(dir >= 0);
    int fd = co_await io::openat(loop, dir, "file", O_RDWR | O_CREAT | O_EXCL, 0600);
    REQUIRE(fd >= 0);
    std::string text = "through the ring";
    CHECK(co_await io::write(loop, fd, text.data(), static_cast<unsigned>(text.size()), 0) ==
          static_cast<int>(text.size()));
    CHECK(co_await io::fsync(loop, fd) == 0);
    seen.resize(64);
    int count = co_await io::read(loop, fd, seen.data(), 64, 0);
    seen.resize(count > 0 ? static_cast<std::size_t>(count) : 0);
    CHECK(co_await io::renameat(loop, dir, "file", dir, "renamed") == 0);
    CHECK(co_await io::openat(loop, dir, "file", O_RDONLY) == -ENOENT);
    CHECK(co_await io::unlinkat(loop, dir, "renamed") == 0);
    co_await io::close(loop, fd);
    co_await io::close(loop, dir);
}

} // namespace

TEST_CASE("loop: file operations through the ring report the kernel's results") {
    auto loop = make_loop();
    char pattern[] = "/tmp/berth-loop-test-XXXXXX";
    std::string directory = mkdtemp(pattern);
    std::string seen;
    run(*loop, write_then_read(*loop, directory, seen));
    CHECK(seen == "through the ring");
    std::filesystem::remove_all(directory);
}

TEST_CASE("loop: the receive pool hands out each buffer once and takes it back") {
    auto loop = make_loop(8);
    io::BufferPool& pool = loop->buffers();
    CHECK(pool.buffer_count() == 8);
    CHECK(pool.buffers_in_use() == 0);
    int pair[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
    // Nine receives on a pool of eight: the ninth must fail with ENOBUFS, never allocate.
    std::vector<io::BufferRef> held;
    int no_buffers = 0;
    for (int i = 0; i < 9; i++) {
        REQUIRE(write(pair[1], "x", 1) == 1);
        struct Receive {
            io::Completion completion;
            int result = 1;
            std::uint32_t flags = 0;
            bool done = false;
            void finished(int r, std::uint32_t f) {
                result = r;
                flags = f;
                done = true;
            }
        } receive;
        io::bind<&Receive::finished>(receive.completion, &receive);
        io_uring_sqe* sqe = loop->ring().sqe(&receive.completion);
        io_uring_prep_recv(sqe, pair[0], nullptr, 4096, 0);
        sqe->flags |= IOSQE_BUFFER_SELECT;
        sqe->buf_group = io::BufferPool::group_id;
        while (!receive.done) {
            loop->turn();
        }
        if (receive.result == -ENOBUFS) {
            no_buffers++;
            continue;
        }
        REQUIRE(receive.result == 1);
        held.push_back(pool.adopt(receive.flags));
    }
    CHECK(no_buffers == 1);
    CHECK(pool.buffers_in_use() == 8);
    io::BufferRef copy = held[0];
    held.clear();
    CHECK(pool.buffers_in_use() == 1);
    copy = io::BufferRef();
    CHECK(pool.buffers_in_use() == 0);
    close(pair[0]);
    close(pair[1]);
}

TEST_CASE("loop: sleep, deferral and events resume coroutines in order") {
    auto loop = make_loop();
    std::vector<int> order;
    io::Event event(*loop);
    auto sleeper = [](io::Loop& l, std::vector<int>& out) -> io::Task<void> {
        co_await io::sleep(l, std::chrono::milliseconds(20));
        out.push_back(2);
    };
    auto waiter = [](io::Event& e, std::vector<int>& out) -> io::Task<void> {
        co_await e.wait();
        out.push_back(3);
    };
    auto yielder = [](io::Loop& l, std::vector<int>& out) -> io::Task<void> {
        co_await l.next_turn();
        out.push_back(1);
    };
    io::spawn(waiter(event, order));
    io::spawn(sleeper(*loop, order));
    run(*loop, yielder(*loop, order));
    while (order.size() < 2) {
        loop->turn();
    }
    event.notify_all();
    loop->turn();
    CHECK(order == std::vector<int>{1, 2, 3});
}

TEST_CASE("loop: a mutex lets one holder at a time through, in arrival order") {
    auto loop = make_loop();
    io::Mutex mutex(*loop);
    std::vector<int> order;
    int holders = 0;
    auto worker = [](io::Loop& l, io::Mutex& m, std::vector<int>& out, int& inside,
                     int id) -> io::Task<void> {
        auto guard = co_await m.lock();
        inside++;
        CHECK(inside == 1);
        co_await l.next_turn();
        out.push_back(id);
        inside--;
    };
    for (int id = 0; id < 5; id++) {
        io::spawn(worker(*loop, mutex, order, holders, id));
    }
    while (order.size() < 5) {
        loop->turn();
    }
    CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
    CHECK(!mutex.locked());
}
