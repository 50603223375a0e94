// log.audit: one JSON line per successful mutating request (PUT, POST, PATCH, DELETE), in the
// spirit of Zot's audit log (subject, action, object, status). GC and retention deletions are
// written by the store (storage/lifecycle.h) to the same sink.
#pragma once

#include <berth/http/request.h>
#include <berth/util/log.h>

#include <string>
#include <string_view>
#include <unordered_map>

namespace berth::server {

class AuditLog {
public:
    void set_sink(log::Sink* sink) { sink_ = sink; }
    bool enabled() const { return sink_ != nullptr; }
    // Remembers who made the request; the line is written once its status is known.
    void note_user(const http::Request& request, std::string_view user);
    void finished(const http::Request& request, int status);

private:
    log::Sink* sink_ = nullptr;
    std::unordered_map<const http::Request*, std::string> users_;
};

} // namespace berth::server
