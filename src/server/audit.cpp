#include <berth/server/audit.h>

#include <berth/registry/routes.h>
#include <berth/util/json_writer.h>

#include <chrono>

namespace berth::server {

namespace {

bool mutating(http::Method method) {
    return method == http::Method::put || method == http::Method::post ||
           method == http::Method::patch || method == http::Method::delete_;
}

} // namespace

void AuditLog::note_user(const http::Request& request, std::string_view user) {
    if (sink_ != nullptr && mutating(request.method)) {
        users_[&request] = std::string(user);
    }
}

void AuditLog::finished(const http::Request& request, int status) {
    if (sink_ == nullptr || !mutating(request.method)) {
        return;
    }
    auto user = users_.find(&request);
    std::string subject = user == users_.end() ? std::string() : std::move(user->second);
    if (user != users_.end()) {
        users_.erase(user);
    }
    if (status < 200 || status >= 300) {
        return;
    }
    registry::Route route = registry::parse_route(request.path);
    auto now = std::chrono::system_clock::now().time_since_epoch();
    std::string line;
    util::JsonWriter json(line);
    json.begin_object()
        .member("time", log::format_time_utc(
                            std::chrono::duration_cast<std::chrono::milliseconds>(now).count()))
        .member("module", "http")
        .member("subject", subject)
        .member("action", request.method_name)
        .member("object", request.path)
        .member("repository", route.name)
        .member("reference", route.reference)
        .member_int64("status", status)
        .end_object();
    line += '\n';
    sink_->write(line);
}

} // namespace berth::server
