#include <berth/auth/sessions.h>

#include <doctest/doctest.h>

#include <cctype>
#include <string>
#include <vector>

using namespace berth;
using auth::Sessions;
using namespace std::chrono_literals;

namespace {

const io::Clock::time_point start{std::chrono::hours{1000}};

} // namespace

TEST_CASE("sessions: an id is 64 hex digits, finds its user, and is new every time") {
    Sessions sessions(16, 1h);
    std::string a = sessions.create("alice", 7, start);
    std::string b = sessions.create("alice", 7, start);
    CHECK(Sessions::well_formed(a));
    CHECK(a.size() == 64);
    CHECK(a != b);
    const auth::Session* found = sessions.find(a, start + 1min);
    REQUIRE(found != nullptr);
    CHECK(found->user == "alice");
    CHECK(found->stamp == 7);
    CHECK(sessions.size() == 2);
}

TEST_CASE("sessions: unknown, malformed and altered ids find nothing") {
    Sessions sessions(16, 1h);
    std::string id = sessions.create("alice", 1, start);
    std::string altered = id;
    altered.back() = altered.back() == '0' ? '1' : '0';
    CHECK(sessions.find(altered, start) == nullptr);
    CHECK(sessions.find(std::string(64, 'g'), start) == nullptr);
    CHECK(sessions.find(id.substr(1), start) == nullptr);
    CHECK(sessions.find("", start) == nullptr);
    std::string upper = id;
    for (char& c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    CHECK((upper == id || sessions.find(upper, start) == nullptr));
    CHECK(sessions.find(id, start) != nullptr);
}

TEST_CASE("sessions: they expire a lifetime after login, and logout removes them") {
    Sessions sessions(16, 1h);
    std::string early = sessions.create("alice", 1, start);
    std::string later = sessions.create("bob", 1, start + 30min);
    CHECK(sessions.find(early, start + 59min) != nullptr);
    CHECK(sessions.find(early, start + 1h) == nullptr);
    CHECK(sessions.find(later, start + 1h) != nullptr);
    sessions.remove(later);
    CHECK(sessions.find(later, start + 1h) == nullptr);
    // Expired sessions are dropped when a new one is made.
    sessions.create("carol", 1, start + 2h);
    CHECK(sessions.size() == 1);
}

TEST_CASE("sessions: the store is bounded; the one closest to expiry makes room") {
    Sessions sessions(3, 1h);
    std::vector<std::string> ids;
    for (int i = 0; i < 3; i++) {
        ids.push_back(sessions.create("user" + std::to_string(i), 1, start + i * 1min));
    }
    std::string fourth = sessions.create("user3", 1, start + 3min);
    CHECK(sessions.size() == 3);
    CHECK(sessions.find(ids[0], start + 4min) == nullptr);
    CHECK(sessions.find(ids[1], start + 4min) != nullptr);
    CHECK(sessions.find(ids[2], start + 4min) != nullptr);
    CHECK(sessions.find(fourth, start + 4min) != nullptr);
}
