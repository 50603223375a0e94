#include "sections.h"

#include "patterns.h"

#include <algorithm>
#include <array>

namespace berth::config::detail {
namespace {

struct ActionName {
    std::string_view name;
    Action action;
};

// Compared exactly, as Zot does: "Read" is not "read".
constexpr std::array<ActionName, 5> action_names{{
    {"read", Action::read},
    {"create", Action::create},
    {"update", Action::update},
    {"delete", Action::remove},
    {"detectManifestCollision", Action::detect_manifest_collision},
}};

// An unknown action grants nothing in Zot either, so it is dropped with a warning rather
// than failing a configuration Zot accepts.
bool read_actions(Reader& reader, Value value, ActionSet& out) {
    return reader.items(value, [&](Value item) {
        std::string name;
        if (!reader.string(item, name)) {
            return false;
        }
        for (const ActionName& known : action_names) {
            if (known.name == name) {
                out.add(known.action);
                return true;
            }
        }
        reader.warn("unknown action " + quote(name) +
                    " grants nothing (actions: read, create, update, delete, "
                    "detectManifestCollision)");
        return true;
    });
}

// CEL conditions narrow a policy; berth cannot evaluate them, and a policy without its
// conditions grants more than the administrator wrote.
bool read_conditions(Reader& reader, Value value) {
    std::size_t count = 0;
    bool ok = reader.items(value, [&](Value item) {
        ++count;
        std::string unused;
        return reader.fields(item, {
                                       {"expression",
                                        [&](Value v) {
                                            return reader.string(v, unused);
                                        }},
                                       {"message",
                                        [&](Value v) {
                                            return reader.string(v, unused);
                                        }},
                                   });
    });
    if (ok && count > 0) {
        reader.refuse("policy conditions (CEL expressions) are not evaluated by berth; without "
                      "them the policy would grant access that the conditions deny");
    }
    return ok;
}

bool read_policy(Reader& reader, Value value, Policy& out) {
    return reader.fields(value, {
                                    {"users",
                                     [&](Value v) {
                                         return reader.strings(v, out.users);
                                     }},
                                    {"groups",
                                     [&](Value v) {
                                         return reader.strings(v, out.groups);
                                     }},
                                    {"actions",
                                     [&](Value v) {
                                         return read_actions(reader, v, out.actions);
                                     }},
                                    {"conditions",
                                     [&](Value v) {
                                         return read_conditions(reader, v);
                                     }},
                                });
}

bool read_repository(Reader& reader, Value value, RepositoryAccess& out) {
    std::vector<Field> known = {
        {"policies",
         [&](Value v) {
             return reader.items(v, [&](Value item) {
                 Policy policy;
                 if (!read_policy(reader, item, policy)) {
                     return false;
                 }
                 out.policies.push_back(std::move(policy));
                 return true;
             });
         }},
        {"defaultPolicy",
         [&](Value v) {
             return read_actions(reader, v, out.default_policy);
         }},
        {"anonymousPolicy",
         [&](Value v) {
             return read_actions(reader, v, out.anonymous_policy);
         }},
    };
    return reader.fields(value, known);
}

bool read_repositories(Reader& reader, Value value, AccessControl& out) {
    return reader.entries(value, [&](std::string_view glob, Value access) {
        if (!valid_glob(glob)) {
            return reader.fail("invalid glob pattern (an unclosed '[' or '{', an empty \"[]\" "
                               "or a trailing '\\')");
        }
        RepositoryAccess parsed;
        if (!read_repository(reader, access, parsed)) {
            return false;
        }
        out.repositories.emplace(std::string(glob), std::move(parsed));
        return true;
    });
}

bool read_groups(Reader& reader, Value value, AccessControl& out) {
    return reader.entries(value, [&](std::string_view name, Value group) {
        std::vector<std::string> users;
        if (!reader.fields(group, {{"users", [&](Value v) {
                                        return reader.strings(v, users);
                                    }}})) {
            return false;
        }
        out.groups.emplace(std::string(name), std::move(users));
        return true;
    });
}

// Before Zot 2.0, repository globs sat directly in accessControl; say where they go now.
bool check_layout(Reader& reader, Value value, const std::vector<Field>& known) {
    simdjson::dom::object members;
    if (value.get_object().get(members)) {
        return true; // the type error is reported by the full read
    }
    for (simdjson::dom::key_value_pair member : members) {
        bool listed = std::any_of(known.begin(), known.end(), [&](const Field& field) {
            return equal_ignoring_case(field.name, member.key);
        });
        if (!listed) {
            Reader::Scope scope = reader.key(member.key);
            return reader.fail("unknown key (repository globs and their policies go under "
                               "\"repositories\", as in Zot 2)");
        }
    }
    return true;
}

} // namespace

bool read_access_control(Reader& reader, Value value, AccessControl& out) {
    std::vector<Field> known = {
        {"groups",
         [&](Value v) {
             return read_groups(reader, v, out);
         }},
        {"repositories",
         [&](Value v) {
             return read_repositories(reader, v, out);
         }},
        {"adminPolicy",
         [&](Value v) {
             return read_policy(reader, v, out.admin_policy);
         }},
        {"metrics",
         [&](Value v) {
             return reader.fields(v, {
                                         {"users",
                                          [&](Value u) {
                                              return reader.strings(u, out.metrics.users);
                                          }},
                                         {"anonymousPolicy",
                                          [&](Value a) {
                                              return read_actions(reader, a,
                                                                  out.metrics.anonymous_policy);
                                          }},
                                     });
         }},
    };
    return check_layout(reader, value, known) && reader.fields(value, known);
}

} // namespace berth::config::detail
