// What the loop calls when an io_uring operation (or a timer) finishes.
//
// A Completion is embedded in its owner (a connection, an awaiting coroutine) and its address
// is the submission's user_data, so completing an operation allocates nothing. The owner must
// stay alive until every operation it submitted has completed; owners count them.
#pragma once

#include <cstdint>

namespace berth::io {

struct Completion {
    void* context = nullptr;
    void (*callback)(void* context, int result, std::uint32_t flags) = nullptr;

    void complete(int result, std::uint32_t flags) { callback(context, result, flags); }
};

// Binds a member function as the callback: `bind<&Connection::recv_done>(recv_, this)`.
template <auto Method, class Owner>
void bind(Completion& completion, Owner* owner) {
    completion.context = owner;
    completion.callback = [](void* context, int result, std::uint32_t flags) {
        (static_cast<Owner*>(context)->*Method)(result, flags);
    };
}

} // namespace berth::io
