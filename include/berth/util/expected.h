// A value or an error, for operations that fail as a matter of course (bad input, a full disk).
// C++20 has no std::expected; this is the small part of it berth uses.
#pragma once

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

namespace berth {

template <class E>
struct Unexpected {
    explicit Unexpected(E failure) : error(std::move(failure)) {}
    E error;
};

template <class E>
Unexpected(E) -> Unexpected<E>;

template <class T, class E>
class [[nodiscard]] Expected {
public:
    Expected(T value) : state_(std::in_place_index<0>, std::move(value)) {}
    template <class G>
    requires std::is_constructible_v<E, G> Expected(Unexpected<G> failure)
        : state_(std::in_place_index<1>, std::move(failure.error)) {}

    bool has_value() const { return state_.index() == 0; }
    explicit operator bool() const { return has_value(); }

    T& value() & {
        assert(has_value());
        return std::get<0>(state_);
    }
    const T& value() const& {
        assert(has_value());
        return std::get<0>(state_);
    }
    T&& value() && {
        assert(has_value());
        return std::get<0>(std::move(state_));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const E& error() const {
        assert(!has_value());
        return std::get<1>(state_);
    }
    E& error() {
        assert(!has_value());
        return std::get<1>(state_);
    }

private:
    std::variant<T, E> state_;
};

// Success carries nothing but the fact of success.
struct Ok {};

} // namespace berth
