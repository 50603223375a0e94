// http.ratelimit: a token bucket per client address (and per method when configured). A
// client over its rate is answered 429 at once; nothing is queued.
#pragma once

#include <berth/config/config.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace berth::auth {

class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;

    explicit RateLimiter(const config::RateLimit& limits);

    // True when the request may go on; counts it.
    bool allow(std::string_view client, std::string_view method, Clock::time_point now);

private:
    struct Bucket {
        double tokens = 0;
        Clock::time_point refilled{};
    };
    bool take(Bucket& bucket, double rate, Clock::time_point now);
    void forget_stale(Clock::time_point now);

    std::int64_t rate_ = 0;
    std::unordered_map<std::string, std::int64_t> method_rates_;
    std::unordered_map<std::string, Bucket> buckets_;
};

} // namespace berth::auth
