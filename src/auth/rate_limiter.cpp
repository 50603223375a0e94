#include <berth/auth/rate_limiter.h>

#include <algorithm>

namespace berth::auth {

namespace {

// Clients tracked at once; beyond it, buckets idle for a while are dropped (an idle bucket is
// full, so dropping it changes nothing for its client).
constexpr std::size_t clients_max = 16384;

} // namespace

RateLimiter::RateLimiter(const config::RateLimit& limits) : rate_(limits.rate.value_or(0)) {
    for (const config::MethodRateLimit& method : limits.methods) {
        method_rates_[method.method] = method.rate;
    }
}

bool RateLimiter::take(Bucket& bucket, double rate, Clock::time_point now) {
    // A bucket holds one second's worth of requests: bursts up to the rate, then the rate.
    if (bucket.refilled == Clock::time_point{}) {
        bucket.tokens = rate;
    } else {
        double elapsed = std::chrono::duration<double>(now - bucket.refilled).count();
        bucket.tokens = std::min(rate, bucket.tokens + elapsed * rate);
    }
    bucket.refilled = now;
    if (bucket.tokens < 1) {
        return false;
    }
    bucket.tokens -= 1;
    return true;
}

void RateLimiter::forget_stale(Clock::time_point now) {
    std::erase_if(buckets_, [&](const auto& item) {
        return now - item.second.refilled > std::chrono::seconds(10);
    });
    if (buckets_.size() >= clients_max) {
        buckets_.clear();
    }
}

bool RateLimiter::allow(std::string_view client, std::string_view method, Clock::time_point now) {
    if (buckets_.size() >= clients_max) {
        forget_stale(now);
    }
    bool allowed = true;
    if (rate_ > 0) {
        allowed = take(buckets_[std::string(client)], static_cast<double>(rate_), now);
    }
    auto method_rate = method_rates_.find(std::string(method));
    if (allowed && method_rate != method_rates_.end() && method_rate->second > 0) {
        std::string key = std::string(client) + " " + std::string(method);
        allowed = take(buckets_[key], static_cast<double>(method_rate->second), now);
    }
    return allowed;
}

} // namespace berth::auth
