#include <berth/io/timer.h>

#include <doctest/doctest.h>

#include <memory>
#include <random>
#include <vector>

using namespace berth::io;

namespace {

struct Recorder {
    Recorder(std::vector<int>* sink, int number) : fired(sink), id(number) {
        timer.bind<&Recorder::fire>(this);
    }
    std::vector<int>* fired;
    int id;
    Timer timer;
    void fire() { fired->push_back(id); }
};

} // namespace

TEST_CASE("timer heap: fires in deadline order, only once due") {
    TimerHeap heap;
    std::vector<int> fired;
    Clock::time_point start{};
    std::vector<std::unique_ptr<Recorder>> recorders;
    for (int id : {5, 1, 4, 2, 3}) {
        recorders.push_back(std::make_unique<Recorder>(&fired, id));
        heap.arm(recorders.back()->timer, start + std::chrono::seconds(id));
    }
    CHECK(heap.until_next(start) == std::chrono::seconds(1));
    heap.fire_expired(start + std::chrono::milliseconds(2500));
    CHECK(fired == std::vector<int>{1, 2});
    heap.fire_expired(start + std::chrono::seconds(10));
    CHECK(fired == std::vector<int>{1, 2, 3, 4, 5});
    CHECK(heap.size() == 0);
    CHECK(!heap.until_next(start).has_value());
}

TEST_CASE("timer heap: rearming moves a timer; destroying one disarms it") {
    TimerHeap heap;
    std::vector<int> fired;
    Clock::time_point start{};
    auto early = std::make_unique<Recorder>(&fired, 1);
    auto late = std::make_unique<Recorder>(&fired, 2);
    heap.arm(early->timer, start + std::chrono::seconds(1));
    heap.arm(late->timer, start + std::chrono::seconds(2));
    heap.arm(early->timer, start + std::chrono::seconds(3));
    CHECK(heap.size() == 2);
    late.reset();
    CHECK(heap.size() == 1);
    heap.fire_expired(start + std::chrono::seconds(2));
    CHECK(fired.empty());
    heap.fire_expired(start + std::chrono::seconds(3));
    CHECK(fired == std::vector<int>{1});
}

TEST_CASE("timer heap: random arms and disarms keep the heap ordered") {
    TimerHeap heap;
    std::vector<int> fired;
    std::vector<std::unique_ptr<Recorder>> recorders;
    std::mt19937 random(7);
    Clock::time_point start{};
    for (int id = 0; id < 1000; id++) {
        recorders.push_back(std::make_unique<Recorder>(&fired, id));
        heap.arm(recorders.back()->timer, start + std::chrono::milliseconds(random() % 5000));
    }
    for (int i = 0; i < 300; i++) {
        heap.disarm(recorders[random() % recorders.size()]->timer);
    }
    std::size_t armed = heap.size();
    heap.fire_expired(start + std::chrono::seconds(10));
    CHECK(fired.size() == armed);
    for (std::size_t i = 1; i < fired.size(); i++) {
        CHECK(recorders[fired[i - 1]]->timer.deadline() <= recorders[fired[i]]->timer.deadline());
    }
}
