#include <berth/oci/manifest.h>
// Own header first (it must stand alone); clang-format regroups only the block below.
#include <algorithm>
#include <array>
#include <initializer_list>

#include <simdjson.h>

namespace berth::oci {
namespace {

namespace od = simdjson::ondemand;

static_assert(json_padding_bytes >= simdjson::SIMDJSON_PADDING,
              "the header promises simdjson's padding");

// Real manifests nest five levels at most (manifests[], descriptor, platform, os.features);
// unknown extension fields get this much room below wherever they start. It bounds the
// recursion of the generic walk and stays far below simdjson's own limit of 1024.
constexpr std::size_t json_depth_max = 64;

// Longer keys are not repeated in error messages: a message names a field, it does not echo a
// megabyte of it back.
constexpr std::size_t key_bytes_shown_max = 64;

constexpr std::string_view schema1_message =
    "Docker schema 1 manifests are not supported; push the image as OCI or Docker schema 2";

// ---- Problems -----------------------------------------------------------------------------

// What went wrong, and where: a path such as `layers[2].digest` or `annotations["a.b"]`.
struct Fault {
    std::string path;
    std::string reason;
};
using Status = std::optional<Fault>;

Status fault(std::string reason) {
    return Fault{{}, std::move(reason)};
}

Status within(std::string_view segment, Status status) {
    if (status) {
        std::string path(segment);
        if (!status->path.empty() && status->path.front() != '[') {
            path += '.';
        }
        path += status->path;
        status->path = std::move(path);
    }
    return status;
}

Status within_index(std::size_t index, Status status) {
    if (!status) {
        return status;
    }
    return within("[" + std::to_string(index) + "]", std::move(status));
}

// A key from the document as a path segment. Keys are UTF-8 already (simdjson checks the whole
// input), but a long or unprintable one is not worth repeating to the client.
std::string key_segment(std::string_view key) {
    bool printable =
        key.size() <= key_bytes_shown_max && std::all_of(key.begin(), key.end(), [](char c) {
            auto byte = static_cast<unsigned char>(c);
            return byte >= 0x20 && byte != 0x7f;
        });
    if (!printable) {
        return "[...]";
    }
    return "[\"" + std::string(key) + "\"]";
}

ManifestError to_error(Fault problem) {
    if (problem.path.empty()) {
        return ManifestError{std::move(problem.reason)};
    }
    return ManifestError{problem.path + ": " + problem.reason};
}

Status json_fault(simdjson::error_code code) {
    switch (code) {
    case simdjson::EMPTY:
        return fault("empty document");
    case simdjson::UTF8_ERROR:
        return fault("invalid JSON: not valid UTF-8");
    case simdjson::DEPTH_ERROR:
        return fault("invalid JSON: nested too deeply");
    case simdjson::TAPE_ERROR:
        return fault("invalid JSON: misplaced or missing comma, colon, brace or bracket");
    case simdjson::INCOMPLETE_ARRAY_OR_OBJECT:
        return fault("invalid JSON: unbalanced braces or brackets");
    case simdjson::STRING_ERROR:
    case simdjson::UNCLOSED_STRING:
    case simdjson::UNESCAPED_CHARS:
        return fault("invalid JSON: malformed string");
    default:
        return fault(std::string("invalid JSON: ") + simdjson::error_message(code));
    }
}

// ---- Scalars ------------------------------------------------------------------------------

bool is_json_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// simdjson's raw token runs up to the next token, trailing whitespace included.
std::string_view scalar_token(od::value& value) {
    std::string_view token = value.raw_json_token();
    while (!token.empty() && is_json_space(token.back())) {
        token.remove_suffix(1);
    }
    return token;
}

std::size_t skip_digits(std::string_view text, std::size_t at) {
    while (at < text.size() && is_digit(text[at])) {
        ++at;
    }
    return at;
}

// RFC 8259 §6. On-Demand only checks the numbers it is asked to convert, and a number we skip
// must still be a number.
bool valid_number_token(std::string_view token) {
    std::size_t at = (!token.empty() && token[0] == '-') ? 1 : 0;
    if (at == token.size() || !is_digit(token[at])) {
        return false;
    }
    at = token[at] == '0' ? at + 1 : skip_digits(token, at);
    if (at < token.size() && token[at] == '.') {
        std::size_t fraction = at + 1;
        at = skip_digits(token, fraction);
        if (at == fraction) {
            return false;
        }
    }
    if (at < token.size() && (token[at] == 'e' || token[at] == 'E')) {
        ++at;
        if (at < token.size() && (token[at] == '+' || token[at] == '-')) {
            ++at;
        }
        std::size_t exponent = at;
        at = skip_digits(token, exponent);
        if (at == exponent) {
            return false;
        }
    }
    return at == token.size();
}

bool is_base64_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '+' || c == '/';
}

// Standard alphabet with padding (RFC 4648 §4), as descriptor `data` requires.
bool valid_base64(std::string_view text) {
    if (text.size() % 4 != 0) {
        return false;
    }
    std::size_t padding = 0;
    while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') {
        ++padding;
    }
    return std::all_of(text.begin(), text.end() - static_cast<std::ptrdiff_t>(padding),
                       is_base64_char);
}

Status expect_type(od::value& value, od::json_type wanted, const char* what) {
    od::json_type type{};
    if (auto error = value.type().get(type)) {
        return json_fault(error);
    }
    if (type != wanted) {
        return fault(std::string("must be ") + what);
    }
    return std::nullopt;
}

// The view lives in the parser's string buffer, valid until the document is gone.
Status read_string_view(od::value& value, std::string_view& out) {
    if (Status status = expect_type(value, od::json_type::string, "a string")) {
        return status;
    }
    if (auto error = value.get_string().get(out)) {
        return json_fault(error);
    }
    return std::nullopt;
}

Status read_string(od::value& value, std::string& out) {
    std::string_view text;
    if (Status status = read_string_view(value, text)) {
        return status;
    }
    out.assign(text);
    return std::nullopt;
}

Status read_media_type(od::value& value, std::string& out) {
    if (Status status = read_string(value, out)) {
        return status;
    }
    if (!valid_media_type(out)) {
        return fault("must be a media type (type/subtype, RFC 6838)");
    }
    return std::nullopt;
}

Status read_int64(od::value& value, std::int64_t& out) {
    if (Status status = expect_type(value, od::json_type::number, "an integer")) {
        return status;
    }
    std::string_view token = scalar_token(value);
    if (!valid_number_token(token)) {
        return fault("invalid JSON: malformed number");
    }
    if (token.find_first_of(".eE") != std::string_view::npos) {
        return fault("must be an integer");
    }
    if (value.get_int64().get(out) != simdjson::SUCCESS) {
        return fault("must be an integer that fits in 64 bits");
    }
    return std::nullopt;
}

Status read_size(od::value& value, std::int64_t& out) {
    if (Status status = read_int64(value, out)) {
        return status;
    }
    if (out < 0) {
        return fault("must not be negative");
    }
    return std::nullopt;
}

Status read_digest(od::value& value, Digest& out) {
    std::string_view text;
    if (Status status = read_string_view(value, text)) {
        return status;
    }
    auto digest = parse_digest(text);
    if (!digest) {
        if (digest.error() == DigestError::unsupported) {
            return fault("unsupported digest algorithm (berth accepts sha256 and sha512)");
        }
        return fault("invalid digest");
    }
    out = std::move(*digest);
    return std::nullopt;
}

Status read_base64(od::value& value) {
    std::string_view text;
    if (Status status = read_string_view(value, text)) {
        return status;
    }
    if (!valid_base64(text)) {
        return fault("must be base64 (RFC 4648, with padding)");
    }
    return std::nullopt;
}

bool is_null(od::value& value) {
    od::json_type type{};
    return value.type().get(type) == simdjson::SUCCESS && type == od::json_type::null &&
           scalar_token(value) == "null";
}

// ---- Containers ---------------------------------------------------------------------------

template <class OnMember>
Status walk_members(od::object& object, OnMember&& on_member) {
    for (auto member : object) {
        od::field field;
        if (auto error = std::move(member).get(field)) {
            return json_fault(error);
        }
        std::string_view key;
        if (auto error = field.unescaped_key().get(key)) {
            return json_fault(error);
        }
        if (Status status = on_member(key, field.value())) {
            return status;
        }
    }
    return std::nullopt;
}

template <class OnMember>
Status walk_object(od::value& value, OnMember&& on_member) {
    if (Status status = expect_type(value, od::json_type::object, "an object")) {
        return status;
    }
    od::object object;
    if (auto error = value.get_object().get(object)) {
        return json_fault(error);
    }
    return walk_members(object, on_member);
}

template <class OnElement>
Status walk_array(od::value& value, OnElement&& on_element) {
    if (Status status = expect_type(value, od::json_type::array, "an array")) {
        return status;
    }
    od::array array;
    if (auto error = value.get_array().get(array)) {
        return json_fault(error);
    }
    std::size_t index = 0;
    for (auto element : array) {
        od::value item;
        if (auto error = std::move(element).get(item)) {
            return within_index(index, json_fault(error));
        }
        if (Status status = on_element(item)) {
            return within_index(index, std::move(status));
        }
        ++index;
    }
    return std::nullopt;
}

// A value berth does not interpret is still read to its last byte: On-Demand validates only
// what it is asked for, and a manifest with broken JSON anywhere must be refused.
Status walk_any(od::value& value, std::size_t depth) {
    if (depth > json_depth_max) {
        return fault("nested too deeply");
    }
    od::json_type type{};
    if (auto error = value.type().get(type)) {
        return json_fault(error);
    }
    switch (type) {
    case od::json_type::object:
        return walk_object(value, [depth](std::string_view key, od::value& member) {
            return within(key_segment(key), walk_any(member, depth + 1));
        });
    case od::json_type::array:
        return walk_array(value, [depth](od::value& item) { return walk_any(item, depth + 1); });
    case od::json_type::string: {
        std::string_view text;
        return read_string_view(value, text);
    }
    case od::json_type::number:
        if (!valid_number_token(scalar_token(value))) {
            return fault("invalid JSON: malformed number");
        }
        return std::nullopt;
    case od::json_type::boolean:
    case od::json_type::null: {
        std::string_view token = scalar_token(value);
        if (token != "true" && token != "false" && token != "null") {
            return fault("invalid JSON: unknown literal");
        }
        return std::nullopt;
    }
    }
    return fault("invalid JSON");
}

Status read_strings(od::value& value, std::vector<std::string>& out) {
    return walk_array(value, [&out](od::value& item) {
        std::string text;
        Status status = read_string(item, text);
        out.push_back(std::move(text));
        return status;
    });
}

// Parsers disagree on which of two equal keys wins, and the map is copied into referrers
// responses, so a repeated key is refused rather than silently resolved.
Status reject_repeated_keys(const Annotations& annotations) {
    std::vector<std::string_view> keys;
    keys.reserve(annotations.size());
    for (const auto& [key, text] : annotations) {
        keys.push_back(key);
    }
    std::sort(keys.begin(), keys.end());
    auto repeated = std::adjacent_find(keys.begin(), keys.end());
    if (repeated != keys.end()) {
        return within(key_segment(*repeated), fault("duplicate key"));
    }
    return std::nullopt;
}

Status read_annotations(od::value& value, Annotations& out) {
    Status status = walk_object(value, [&out](std::string_view key, od::value& member) {
        std::string_view text;
        Status member_status = read_string_view(member, text);
        if (!member_status) {
            out.emplace_back(key, text);
        }
        return within(key_segment(key), std::move(member_status));
    });
    if (status) {
        return status;
    }
    return reject_repeated_keys(out);
}

// ---- Known keys ---------------------------------------------------------------------------

// Which known keys an object has shown. A known key seen twice is refused: which occurrence
// wins differs between JSON parsers, and clients must not see another manifest than berth.
class KeySet {
public:
    bool insert(std::size_t index) {
        std::uint32_t bit = std::uint32_t{1} << index;
        bool fresh = (bits_ & bit) == 0;
        bits_ |= bit;
        return fresh;
    }
    bool contains(std::size_t index) const { return (bits_ & (std::uint32_t{1} << index)) != 0; }

private:
    std::uint32_t bits_ = 0;
};

char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Whether Go's encoding/json would take `key` for the ASCII name `known`: it matches names
// without regard to case, and folds U+017F (long s) to s and U+212A (Kelvin sign) to k.
bool go_folds_to(std::string_view key, std::string_view known) {
    std::size_t at = 0;
    for (char expected : known) {
        char lower = ascii_lower(expected);
        if (at < key.size() && ascii_lower(key[at]) == lower) {
            at += 1;
        } else if (lower == 's' && key.substr(at, 2) == "\xC5\xBF") {
            at += 2;
        } else if (lower == 'k' && key.substr(at, 3) == "\xE2\x84\xAA") {
            at += 3;
        } else {
            return false;
        }
    }
    return at == key.size();
}

// Walks one member of an object whose known keys are `keys`: a known key goes to
// `walk_known(index, value)`, any other is walked as unknown (forward compatibility).
template <std::size_t N, class WalkKnown>
Status walk_member(const std::array<std::string_view, N>& keys, KeySet& seen, std::string_view key,
                   od::value& value, WalkKnown&& walk_known) {
    static_assert(N <= 32, "KeySet holds 32 keys");
    auto known = std::find(keys.begin(), keys.end(), key);
    if (known == keys.end()) {
        // Most clients are Go programs that would read `"Layers"` as layers: berth would check
        // one set of blobs and they would pull another, so such a near-miss is refused.
        for (std::string_view name : keys) {
            if (go_folds_to(key, name)) {
                return within(key_segment(key),
                              fault("ambiguous spelling of " + std::string(name)));
            }
        }
        return within(key_segment(key), walk_any(value, 1));
    }
    auto index = static_cast<std::size_t>(known - keys.begin());
    if (!seen.insert(index)) {
        return within(key, fault("duplicate key"));
    }
    return within(key, walk_known(index, value));
}

template <std::size_t N>
Status require_keys(const std::array<std::string_view, N>& keys, const KeySet& seen,
                    std::initializer_list<std::size_t> required) {
    for (std::size_t index : required) {
        if (!seen.contains(index)) {
            return within(keys[index], fault("required"));
        }
    }
    return std::nullopt;
}

// ---- Platform and descriptors -------------------------------------------------------------

enum PlatformKey : std::size_t {
    p_architecture,
    p_os,
    p_os_version,
    p_os_features,
    p_variant,
    p_features
};
constexpr std::array<std::string_view, 6> platform_keys = {"architecture", "os",      "os.version",
                                                           "os.features",  "variant", "features"};

Status walk_platform_member(std::size_t key, od::value& value, Platform& platform) {
    switch (key) {
    case p_architecture:
        return read_string(value, platform.architecture);
    case p_os:
        return read_string(value, platform.os);
    case p_os_version:
        return read_string(value, platform.os_version);
    case p_os_features:
        return read_strings(value, platform.os_features);
    case p_variant:
        return read_string(value, platform.variant);
    default:
        return read_strings(value, platform.features);
    }
}

Status walk_platform(od::value& value, Platform& platform) {
    KeySet seen;
    Status status = walk_object(value, [&](std::string_view key, od::value& member) {
        return walk_member(platform_keys, seen, key, member, [&](std::size_t index, od::value& v) {
            return walk_platform_member(index, v, platform);
        });
    });
    if (status) {
        return status;
    }
    return require_keys(platform_keys, seen, {p_architecture, p_os});
}

enum DescriptorKey : std::size_t {
    d_media_type,
    d_digest,
    d_size,
    d_urls,
    d_annotations,
    d_data,
    d_artifact_type,
    d_platform
};
constexpr std::array<std::string_view, 8> descriptor_keys = {
    "mediaType", "digest", "size", "urls", "annotations", "data", "artifactType", "platform"};

Status walk_descriptor_member(std::size_t key, od::value& value, Descriptor& descriptor) {
    switch (key) {
    case d_media_type:
        return read_media_type(value, descriptor.media_type);
    case d_digest:
        return read_digest(value, descriptor.digest);
    case d_size:
        return read_size(value, descriptor.size);
    case d_urls: {
        std::vector<std::string> urls;
        Status status = read_strings(value, urls);
        descriptor.has_urls = !urls.empty();
        return status;
    }
    case d_annotations:
        return read_annotations(value, descriptor.annotations);
    case d_data:
        return read_base64(value);
    case d_artifact_type:
        return read_media_type(value, descriptor.artifact_type);
    default:
        return walk_platform(value, descriptor.platform.emplace());
    }
}

Status walk_descriptor(od::value& value, Descriptor& descriptor) {
    KeySet seen;
    Status status = walk_object(value, [&](std::string_view key, od::value& member) {
        return walk_member(descriptor_keys, seen, key, member,
                           [&](std::size_t index, od::value& v) {
                               return walk_descriptor_member(index, v, descriptor);
                           });
    });
    if (status) {
        return status;
    }
    return require_keys(descriptor_keys, seen, {d_media_type, d_digest, d_size});
}

Status read_descriptors(od::value& value, std::vector<Descriptor>& out) {
    return walk_array(
        value, [&out](od::value& item) { return walk_descriptor(item, out.emplace_back()); });
}

// ---- The document -------------------------------------------------------------------------

// Parses `json` and hands each top-level member to `on_member`; refuses anything but a single
// well-formed object.
template <class OnMember>
Status walk_document(simdjson::padded_string_view json, OnMember&& on_member) {
    od::parser parser;
    od::document document;
    if (auto error = parser.iterate(json).get(document)) {
        return json_fault(error);
    }
    od::json_type type{};
    if (auto error = document.type().get(type)) {
        return json_fault(error);
    }
    if (type != od::json_type::object) {
        return fault("must be a JSON object");
    }
    od::object object;
    if (auto error = document.get_object().get(object)) {
        return json_fault(error);
    }
    if (Status status = walk_members(object, on_member)) {
        return status;
    }
    // simdjson 3.0.1's document has no at_end(); this is its equivalent: the location is out of
    // bounds once every token has been consumed.
    const char* rest = nullptr;
    if (document.current_location().get(rest) != simdjson::OUT_OF_BOUNDS) {
        return fault("invalid JSON: content after the top-level object");
    }
    return std::nullopt;
}

// ---- Manifests ----------------------------------------------------------------------------

enum TopKey : std::size_t {
    t_schema_version,
    t_media_type,
    t_config,
    t_layers,
    t_manifests,
    t_subject,
    t_artifact_type,
    t_annotations
};
constexpr std::array<std::string_view, 8> top_keys = {"schemaVersion", "mediaType",  "config",
                                                      "layers",        "manifests",  "subject",
                                                      "artifactType",  "annotations"};

// The document as written, before its type is settled.
struct Body {
    ManifestInfo info;
    KeySet seen;
    std::int64_t schema_version = 0;
    std::string media_type;
};

Status walk_top_member(std::size_t key, od::value& value, Body& body) {
    switch (key) {
    case t_schema_version:
        return read_int64(value, body.schema_version);
    case t_media_type:
        return read_media_type(value, body.media_type);
    case t_config:
        return walk_descriptor(value, body.info.config.emplace());
    case t_layers:
        return read_descriptors(value, body.info.layers);
    case t_manifests:
        return read_descriptors(value, body.info.manifests);
    case t_subject:
        return walk_descriptor(value, body.info.subject.emplace());
    case t_artifact_type:
        return read_media_type(value, body.info.artifact_type);
    default:
        return read_annotations(value, body.info.annotations);
    }
}

bool is_schema1_media_type(std::string_view media_type) {
    return media_type == "application/vnd.docker.distribution.manifest.v1+json" ||
           media_type == "application/vnd.docker.distribution.manifest.v1+prettyjws";
}

// A Content-Type that says only "some bytes" or "some JSON" (or nothing) declares no type.
bool is_generic_media_type(std::string_view media_type) {
    return media_type.empty() || media_type == "application/json" ||
           media_type == "application/octet-stream";
}

// `type/subtype` without parameters or surrounding whitespace, lowercased: media types are
// case-insensitive (RFC 6838 §4.2), and the stored type must be one of the exact spellings.
std::string media_type_essence(std::string_view header) {
    header = header.substr(0, header.find(';'));
    auto blank = [](char c) {
        return c == ' ' || c == '\t';
    };
    while (!header.empty() && blank(header.front())) {
        header.remove_prefix(1);
    }
    while (!header.empty() && blank(header.back())) {
        header.remove_suffix(1);
    }
    std::string essence(header);
    std::transform(essence.begin(), essence.end(), essence.begin(), ascii_lower);
    return essence;
}

// What the Content-Type header declares, refused before any parsing when it cannot be a
// manifest berth accepts. Empty when it declares nothing.
Expected<std::optional<ManifestKind>, ManifestError> declared_kind(std::string_view header) {
    std::string essence = media_type_essence(header);
    if (is_schema1_media_type(essence)) {
        return Unexpected{ManifestError{std::string(schema1_message)}};
    }
    if (is_generic_media_type(essence)) {
        return std::optional<ManifestKind>{};
    }
    if (!valid_media_type(essence)) {
        return Unexpected{ManifestError{"Content-Type is not a media type"}};
    }
    auto kind = manifest_kind_of(essence);
    if (!kind) {
        return Unexpected{ManifestError{"unsupported Content-Type " + essence +
                                        " (expected an OCI or Docker schema 2 manifest type)"}};
    }
    return std::optional<ManifestKind>{kind};
}

Status check_schema_version(const Body& body) {
    if (!body.seen.contains(t_schema_version)) {
        return within("schemaVersion", fault("required"));
    }
    if (body.schema_version == 1) {
        return fault(std::string(schema1_message));
    }
    if (body.schema_version != 2) {
        return within("schemaVersion", fault("must be 2"));
    }
    return std::nullopt;
}

// With neither a body mediaType nor a declaring Content-Type, the shape decides. Either
// image-manifest member claims the manifest kind, so a body missing only `config` hears about
// that rather than about an unknown type.
Status sniff_kind(const Body& body, ManifestKind& kind) {
    if (body.seen.contains(t_config) || body.seen.contains(t_layers)) {
        kind = ManifestKind::oci_manifest;
        return std::nullopt;
    }
    if (body.seen.contains(t_manifests)) {
        kind = ManifestKind::oci_index;
        return std::nullopt;
    }
    return fault("cannot tell the manifest type: no mediaType, no manifest Content-Type, and "
                 "neither config nor manifests");
}

Status settle_kind(const Body& body, std::optional<ManifestKind> declared, ManifestKind& kind) {
    if (Status status = check_schema_version(body)) {
        return status;
    }
    if (!body.seen.contains(t_media_type)) {
        if (declared) {
            kind = *declared;
            return std::nullopt;
        }
        return sniff_kind(body, kind);
    }
    if (is_schema1_media_type(body.media_type)) {
        return fault(std::string(schema1_message));
    }
    auto stated = manifest_kind_of(body.media_type);
    if (!stated) {
        return within("mediaType", fault("unsupported manifest media type " + body.media_type));
    }
    if (declared && *declared != *stated) {
        return fault("Content-Type " + std::string(media_type_of(*declared)) +
                     " does not match mediaType " + body.media_type);
    }
    kind = *stated;
    return std::nullopt;
}

Status check_shape(const Body& body, ManifestKind kind) {
    bool docker =
        kind == ManifestKind::docker_manifest || kind == ManifestKind::docker_manifest_list;
    if (docker && !body.seen.contains(t_media_type)) {
        return within("mediaType", fault("required in a Docker schema 2 manifest"));
    }
    if (is_index_kind(kind)) {
        for (std::size_t key : {t_config, t_layers}) {
            if (body.seen.contains(key)) {
                return within(top_keys[key], fault("not allowed in an image index"));
            }
        }
        return require_keys(top_keys, body.seen, {t_manifests});
    }
    if (body.seen.contains(t_manifests)) {
        return within("manifests", fault("not allowed in an image manifest"));
    }
    return require_keys(top_keys, body.seen, {t_config, t_layers});
}

Expected<ManifestInfo, ManifestError> parse_manifest_json(simdjson::padded_string_view json,
                                                          std::string_view content_type) {
    auto declared = declared_kind(content_type);
    if (!declared) {
        return Unexpected{std::move(declared.error())};
    }
    Body body;
    Status status = walk_document(json, [&body](std::string_view key, od::value& member) {
        return walk_member(
            top_keys, body.seen, key, member,
            [&body](std::size_t index, od::value& v) { return walk_top_member(index, v, body); });
    });
    ManifestKind kind = ManifestKind::oci_manifest;
    if (!status) {
        status = settle_kind(body, *declared, kind);
    }
    if (!status) {
        status = check_shape(body, kind);
    }
    if (status) {
        return Unexpected{to_error(std::move(*status))};
    }
    ManifestInfo info = std::move(body.info);
    info.kind = kind;
    info.media_type = media_type_of(kind);
    if (kind == ManifestKind::docker_manifest || kind == ManifestKind::docker_manifest_list) {
        info.subject.reset();
        info.artifact_type.clear();
    }
    return info;
}

// ---- index.json ---------------------------------------------------------------------------

enum IndexKey : std::size_t { i_schema_version, i_media_type, i_manifests, i_annotations };
constexpr std::array<std::string_view, 4> index_keys = {"schemaVersion", "mediaType", "manifests",
                                                        "annotations"};

Status walk_index_media_type(od::value& value) {
    std::string_view media_type;
    if (Status status = read_string_view(value, media_type)) {
        return status;
    }
    // Go writers that do not omit an empty mediaType leave it as "".
    if (!media_type.empty() && media_type != oci_index_media_type) {
        return fault("must be " + std::string(oci_index_media_type));
    }
    return std::nullopt;
}

Status walk_index_member(std::size_t key, od::value& value, std::vector<Descriptor>& out) {
    switch (key) {
    case i_schema_version: {
        std::int64_t version = 0;
        if (Status status = read_int64(value, version)) {
            return status;
        }
        return version == 2 ? std::nullopt : fault("must be 2");
    }
    case i_media_type:
        return walk_index_media_type(value);
    case i_manifests:
        // A Go writer marshals an empty descriptor list as null.
        return is_null(value) ? std::nullopt : read_descriptors(value, out);
    default: {
        Annotations annotations; // checked, not kept: the layout's own annotations mean nothing
        return read_annotations(value, annotations);
    }
    }
}

} // namespace

std::string_view media_type_of(ManifestKind kind) {
    switch (kind) {
    case ManifestKind::oci_manifest:
        return oci_manifest_media_type;
    case ManifestKind::oci_index:
        return oci_index_media_type;
    case ManifestKind::docker_manifest:
        return docker_manifest_media_type;
    case ManifestKind::docker_manifest_list:
        return docker_manifest_list_media_type;
    }
    return oci_manifest_media_type;
}

std::optional<ManifestKind> manifest_kind_of(std::string_view media_type) {
    for (ManifestKind kind : {ManifestKind::oci_manifest, ManifestKind::oci_index,
                              ManifestKind::docker_manifest, ManifestKind::docker_manifest_list}) {
        if (media_type == media_type_of(kind)) {
            return kind;
        }
    }
    return std::nullopt;
}

bool is_manifest_media_type(std::string_view media_type) {
    return manifest_kind_of(media_type).has_value();
}

std::optional<std::string_view> find_annotation(const Annotations& annotations,
                                                std::string_view key) {
    for (const auto& [name, text] : annotations) {
        if (name == key) {
            return std::string_view(text);
        }
    }
    return std::nullopt;
}

Expected<ManifestInfo, ManifestError> parse_manifest(std::string_view body,
                                                     std::string_view content_type) {
    simdjson::padded_string padded(body);
    return parse_manifest_json(padded, content_type);
}

Expected<ManifestInfo, ManifestError> parse_manifest_padded(std::string_view body,
                                                            std::string_view content_type) {
    simdjson::padded_string_view padded(body.data(), body.size(), body.size() + json_padding_bytes);
    return parse_manifest_json(padded, content_type);
}

std::string referrer_artifact_type(const ManifestInfo& info) {
    if (!info.artifact_type.empty()) {
        return info.artifact_type;
    }
    if (!is_index_kind(info.kind) && info.config) {
        return info.config->media_type;
    }
    return {};
}

Expected<std::vector<Descriptor>, ManifestError> parse_index_json(std::string_view body) {
    simdjson::padded_string padded(body);
    std::vector<Descriptor> descriptors;
    KeySet seen;
    Status status = walk_document(padded, [&](std::string_view key, od::value& member) {
        return walk_member(index_keys, seen, key, member, [&](std::size_t index, od::value& v) {
            return walk_index_member(index, v, descriptors);
        });
    });
    if (status) {
        return Unexpected{to_error(std::move(*status))};
    }
    return descriptors;
}

} // namespace berth::oci
