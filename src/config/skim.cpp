#include "skim.h"

#include <span>

namespace berth::config::detail {
namespace {

struct Shape;

struct Member {
    std::string_view name;
    const Shape* shape = nullptr; // nullptr: any value
};

enum class Kind { object, list, free_form };

struct Shape {
    Kind kind = Kind::object;
    std::span<const Member> members;
};

// The key lists below follow Zot's configuration structs (zot-compat.md §1).
constexpr Shape free_form{Kind::free_form, {}};

constexpr Member scheduler_members[] = {{"numWorkers"}};
constexpr Shape scheduler{Kind::object, scheduler_members};

constexpr Member tls_members[] = {{"cert"}, {"key"}, {"cacert"}};
constexpr Shape tls{Kind::object, tls_members};
constexpr Member cluster_members[] = {{"members"}, {"hashKey"}, {"tls", &tls}};
constexpr Shape cluster{Kind::object, cluster_members};

constexpr Member sbom_members[] = {{"enable"}, {"format"}};
constexpr Shape sbom{Kind::object, sbom_members};
constexpr Member trivy_members[] = {
    {"dbRepository"}, {"javaDBRepository"}, {"vulnSeveritySources"}, {"sbom", &sbom}};
constexpr Shape trivy{Kind::object, trivy_members};
constexpr Member cve_members[] = {{"updateInterval"}, {"trivy", &trivy}};
constexpr Shape cve{Kind::object, cve_members};

constexpr Member tags_members[] = {{"regex"}, {"excludeRegex"}, {"semver"}};
constexpr Shape tags{Kind::object, tags_members};
constexpr Member content_members[] = {
    {"prefix"}, {"tags", &tags}, {"destination"}, {"stripPrefix"}};
constexpr Shape content{Kind::list, content_members};
constexpr Member registry_members[] = {
    {"urls"},
    {"onDemand"},
    {"pollInterval"},
    {"manifestCheckInterval"},
    {"content", &content},
    {"tlsVerify"},
    {"certDir"},
    {"maxRetries"},
    {"retryDelay"},
    {"maxRetryDelay"},
    {"onlySigned"},
    {"syncLegacyCosignTags"},
    {"credentialHelper"},
    {"preserveDigest"},
    {"oauth2CredentialHelper", &free_form},
    {"syncTimeout"},
    {"reqConcurrent"},
    {"reqPerSec"},
    {"disableHTTP2"},
    {"maxIdleConnsPerHost"},
};
constexpr Shape registries{Kind::list, registry_members};
constexpr Member sync_members[] = {
    {"enable"}, {"credentialsFile"}, {"downloadDir"}, {"registries", &registries}};
constexpr Shape sync{Kind::object, sync_members};

constexpr Member lint_members[] = {{"enable"}, {"mandatoryAnnotations"}};
constexpr Shape lint{Kind::object, lint_members};
constexpr Member trust_members[] = {{"enable"}, {"cosign"}, {"notation"}};
constexpr Shape trust{Kind::object, trust_members};

constexpr Member credentials_members[] = {{"username"}, {"password"}, {"file"}, {"token"}};
constexpr Shape credentials{Kind::object, credentials_members};
constexpr Member sink_tls_members[] = {{"cacertFile"}, {"certFile"}, {"keyFile"}};
constexpr Shape sink_tls{Kind::object, sink_tls_members};
// Credentials and TLS settings may be nested or written inline, as Zot's decoder allows.
constexpr Member sink_members[] = {
    {"type"},
    {"address"},
    {"channel"},
    {"timeout"},
    {"proxy"},
    {"headers", &free_form},
    {"credentials", &credentials},
    {"username"},
    {"password"},
    {"file"},
    {"token"},
    {"tls", &sink_tls},
    {"cacertFile"},
    {"certFile"},
    {"keyFile"},
};
constexpr Shape sinks{Kind::list, sink_members};
constexpr Member events_members[] = {{"enable"}, {"sinks", &sinks}, {"source"}, {"typePrefix"}};
constexpr Shape events{Kind::object, events_members};

constexpr Member enable_members[] = {{"enable"}};
constexpr Shape enable_only{Kind::object, enable_members};

bool skim_shape(Reader& reader, Value value, const Shape& shape);

bool skim_object(Reader& reader, Value value, const Shape& shape) {
    std::vector<Field> known;
    known.reserve(shape.members.size());
    for (const Member& member : shape.members) {
        known.push_back({member.name, [&reader, &member](Value inner) {
                             return member.shape == nullptr ||
                                    skim_shape(reader, inner, *member.shape);
                         }});
    }
    return reader.fields(value, known);
}

bool skim_shape(Reader& reader, Value value, const Shape& shape) {
    switch (shape.kind) {
    case Kind::free_form:
        return reader.object(value);
    case Kind::list:
        return reader.items(value, [&](Value item) { return skim_object(reader, item, shape); });
    case Kind::object:
        break;
    }
    return skim_object(reader, value, shape);
}

const Shape& shape_of(Section section) {
    switch (section) {
    case Section::scheduler:
        return scheduler;
    case Section::cluster:
        return cluster;
    case Section::cve:
        return cve;
    case Section::sync:
        return sync;
    case Section::lint:
        return lint;
    case Section::trust:
        return trust;
    case Section::events:
        return events;
    case Section::enable_only:
        return enable_only;
    case Section::any_object:
        break;
    }
    return free_form;
}

} // namespace

bool skim(Reader& reader, Value value, Section section) {
    return skim_shape(reader, value, shape_of(section));
}

} // namespace berth::config::detail
