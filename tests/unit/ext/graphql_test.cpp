#include <berth/ext/graphql.h>

#include <doctest/doctest.h>

#include <string>

using namespace berth::ext::graphql;

namespace {

Document parsed(std::string_view text) {
    auto document = parse(text);
    INFO(text);
    REQUIRE_MESSAGE(document.has_value(), (document ? "" : document.error().message));
    return std::move(*document);
}

Error failure(std::string_view text, const Limits& limits = {}) {
    auto document = parse(text, limits);
    INFO(text);
    REQUIRE_FALSE(document.has_value());
    return document.error();
}

} // namespace

TEST_CASE("graphql: the UI's anonymous query with nested selections and arguments") {
    Document document =
        parsed("{RepoListWithNewestImage(requestedPage: {limit:15 offset:0}){Results {Name "
               "Platforms {Os Arch} NewestImage { Tag Vulnerabilities {MaxSeverity Count}}}}}");
    REQUIRE(document.operations.size() == 1);
    const Operation& operation = document.operations[0];
    CHECK(operation.kind == "query");
    CHECK(operation.name.empty());
    REQUIRE(operation.selections.size() == 1);
    const Selection& root = operation.selections[0];
    CHECK(root.name == "RepoListWithNewestImage");
    const Argument* page = root.argument("requestedPage");
    REQUIRE(page != nullptr);
    REQUIRE(page->value.kind == ValueKind::object);
    CHECK(page->value.member("limit")->integer == 15);
    CHECK(page->value.member("offset")->integer == 0);
    CHECK(page->value.member("sortBy") == nullptr);
    REQUIRE(root.selections.size() == 1);
    const Selection& results = root.selections[0];
    CHECK(results.name == "Results");
    CHECK(results.selections.size() == 3);
    CHECK(results.selections[2].selections[1].selections[1].name == "Count");
}

TEST_CASE("graphql: every kind of value") {
    Document document = parsed(R"({f(a: -12, b: 2.5e3, c: "s", d: true, e: false, f: null,
        g: RELEVANCE, h: [1, [2]], i: {x: $v}, j: """
          two
            lines
        """)})");
    const Selection& field = document.operations[0].selections[0];
    CHECK(field.argument("a")->value.integer == -12);
    CHECK(field.argument("b")->value.kind == ValueKind::floating);
    CHECK(field.argument("b")->value.floating == doctest::Approx(2500));
    CHECK(field.argument("c")->value.text == "s");
    CHECK(field.argument("d")->value.boolean);
    CHECK(field.argument("e")->value.kind == ValueKind::boolean);
    CHECK_FALSE(field.argument("e")->value.boolean);
    CHECK(field.argument("f")->value.kind == ValueKind::null);
    CHECK(field.argument("g")->value.kind == ValueKind::enumeration);
    CHECK(field.argument("g")->value.text == "RELEVANCE");
    CHECK(field.argument("h")->value.items[1].items[0].integer == 2);
    CHECK(field.argument("i")->value.member("x")->kind == ValueKind::variable);
    CHECK(field.argument("i")->value.member("x")->text == "v");
    CHECK(field.argument("j")->value.text == "two\n  lines");
}

TEST_CASE("graphql: string escapes decode to UTF-8") {
    Document document = parsed(R"({f(s: "a\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00")})");
    CHECK(document.operations[0].selections[0].argument("s")->value.text ==
          "a\"\\/\b\f\n\r\t\xC3\xA9\xF0\x9F\x98\x80");
    CHECK(failure(R"({f(s: "\uD83D")})").message.find("escape") != std::string::npos);
    CHECK(failure(R"({f(s: "\x")})").message.find("escape") != std::string::npos);
    CHECK(failure("{f(s: \"a\nb\")}").message.find("Unterminated") != std::string::npos);
}

TEST_CASE("graphql: named operations, variables with defaults, aliases, fragments") {
    Document document = parsed(R"(
        # a comment
        query Images($repo: String! = "a/b", $page: [PageInput!]) {
          list: ImageList(repo: $repo, requestedPage: $page) {
            ...Page
            ... on PaginatedImagesResult @include(if: true) { Results { Tag } }
            ... { __typename }
          }
        }
        fragment Page on PaginatedImagesResult { Page { TotalCount } })");
    REQUIRE(document.operations.size() == 1);
    const Operation& operation = document.operations[0];
    CHECK(operation.name == "Images");
    REQUIRE(operation.variables.size() == 2);
    CHECK(operation.variables[0].type.str() == "String!");
    CHECK(operation.variables[0].has_default);
    CHECK(operation.variables[0].default_value.text == "a/b");
    CHECK(operation.variables[1].type.str() == "[PageInput!]");
    CHECK_FALSE(operation.variables[1].has_default);
    const Selection& list = operation.selections[0];
    CHECK(list.alias == "list");
    CHECK(list.name == "ImageList");
    CHECK(list.response_key() == "list");
    REQUIRE(list.selections.size() == 3);
    CHECK(list.selections[0].kind == SelectionKind::fragment_spread);
    CHECK(list.selections[0].name == "Page");
    CHECK(list.selections[1].kind == SelectionKind::inline_fragment);
    CHECK(list.selections[1].type_condition == "PaginatedImagesResult");
    CHECK(list.selections[1].directives[0].name == "include");
    CHECK(list.selections[2].type_condition.empty());
    const Fragment* fragment = document.fragment("Page");
    REQUIRE(fragment != nullptr);
    CHECK(fragment->type_condition == "PaginatedImagesResult");
    CHECK(document.fragment("Other") == nullptr);
}

TEST_CASE("graphql: the CLI's empty argument list is accepted") {
    Document document = parsed("{ __schema() { queryType { __typename } } }");
    CHECK(document.operations[0].selections[0].name == "__schema");
    CHECK(document.operations[0].selections[0].arguments.empty());
}

TEST_CASE("graphql: syntax errors carry the line and column") {
    Error error = failure("{\n  a {\n    b(x: )\n  }\n}");
    CHECK(error.message == "Syntax Error: Unexpected ).");
    CHECK(error.location.line == 3);
    CHECK(error.location.column == 10);
    CHECK(failure("").message == "Syntax Error: Unexpected <EOF>.");
    CHECK(failure("{ a").message == "Syntax Error: Unexpected <EOF>.");
    CHECK(failure("{}").message == "Syntax Error: Unexpected }.");
    CHECK(failure("{ a(x: 01) }").message.find("after 0") != std::string::npos);
    CHECK(failure("{ a(x: 1.) }").message.find("digit") != std::string::npos);
    CHECK(failure("{ a(x: 1e) }").message.find("digit") != std::string::npos);
    CHECK(failure("{ a(x: 99999999999999999999) }").message.find("range") != std::string::npos);
    CHECK(failure("{ a(x: {b: 1, b: 2}) }").message.find("only one") != std::string::npos);
    CHECK(failure("{ a } garbage").location.column == 7);
    CHECK(failure("query Q($v: Int = $w) { a }").message.find("Unexpected $") != std::string::npos);
    CHECK(failure("fragment on on T { a }").message.find("Unexpected on") != std::string::npos);
    CHECK(failure("{ a ? }").message == "Syntax Error: Unexpected character.");
}

TEST_CASE("graphql: limits on size, depth, tokens and selections") {
    Limits limits;
    limits.document_bytes_max = 10;
    CHECK(failure("{ abcdefghijk }", limits).message.find("larger") != std::string::npos);
    CHECK(parse("{ abcdef }", limits).has_value());

    std::string nested;
    for (int i = 0; i < 16; ++i) {
        nested += "a {";
    }
    nested += "b" + std::string(16, '}');
    CHECK(parse("{" + nested + "}").error().message.find("deeply") != std::string::npos);
    std::string fits;
    for (int i = 0; i < 15; ++i) {
        fits += "a {";
    }
    fits += "b" + std::string(15, '}');
    CHECK(parse("{" + fits + "}").has_value());

    std::string values = "{ a(x: " + std::string(100000 / 4, '[') + ") }";
    Limits wide;
    wide.document_bytes_max = 1 << 20;
    CHECK(parse(values, wide).error().message.find("deeply") != std::string::npos);

    std::string many = "{";
    for (int i = 0; i < 1025; ++i) {
        many += " a";
    }
    many += " }";
    CHECK(parse(many).error().message.find("too many selections") != std::string::npos);
    Limits few;
    few.tokens_max = 5;
    CHECK(parse("{ a b c d e f }", few).error().message.find("tokens") != std::string::npos);
}

TEST_CASE("graphql: choosing the operation") {
    Document two = parsed("query A { a } query B { b }");
    CHECK_FALSE(select_operation(two, "").has_value());
    auto b = select_operation(two, "B");
    REQUIRE(b.has_value());
    CHECK((*b)->selections[0].name == "b");
    CHECK_FALSE(select_operation(two, "C").has_value());
    Document fragments_only = parsed("fragment F on T { a }");
    CHECK(select_operation(fragments_only, "").error().message == "no operation provided");
}
