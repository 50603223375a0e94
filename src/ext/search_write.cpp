#include "search_write.h"

#include <berth/ext/search_time.h>

namespace berth::ext::search {

void Writer::text(Sym sym) {
    json_.string(facts_.index().text(sym));
}

void Writer::time(std::optional<std::int64_t> unix_ns) {
    json_.string(format_rfc3339(unix_ns));
}

Sym Writer::inherited(const ManifestFacts& facts, Sym ManifestFacts::*member) const {
    if (facts.*member != 0 || facts.children.empty()) {
        return facts.*member;
    }
    const ManifestFacts* first = facts_.index().manifest(facts.children.front());
    return first != nullptr ? first->*member : 0;
}

void Writer::images(const std::vector<ImageRef>& images, const SelectionSets& sets) {
    json_.begin_array();
    for (const ImageRef& item : images) {
        image(item, sets);
    }
    json_.end_array();
}

void Writer::image(const ImageRef& shown, const SelectionSets& sets) {
    ImageRef image = shown;
    facts_.fill_usage(image);
    json_.begin_object();
    for (const CollectedField& field : collector_.fields("ImageSummary", sets)) {
        json_.key(field.key);
        if (!image_field(image, field)) {
            json_.null();
        }
    }
    json_.end_object();
}

bool Writer::image_field(const ImageRef& image, const CollectedField& field) {
    const ManifestFacts& facts = *image.facts;
    const SearchIndex& index = facts_.index();
    std::string_view name = field.field->name;
    if (name == "RepoName") {
        json_.string(image.repository);
    } else if (name == "Tag") {
        text(image.tag);
    } else if (name == "Digest") {
        json_.string(index.digest(image.digest));
    } else if (name == "MediaType") {
        text(facts.media_type);
    } else if (name == "Manifests") {
        json_.begin_array();
        for (const auto& [digest, manifest_facts] : facts_.manifests(image.digest, facts)) {
            manifest(image.repository, digest, *manifest_facts, field.children);
        }
        json_.end_array();
    } else if (name == "Size") {
        size(facts_.total_size(facts));
    } else if (name == "DownloadCount") {
        json_.uint64(image.downloads);
    } else if (name == "LastUpdated") {
        time(image.updated_ns);
    } else if (name == "PushTimestamp" && image.pushed_ns) {
        time(image.pushed_ns);
    } else if (name == "LastPullTimestamp" && image.pulled_ns) {
        time(image.pulled_ns);
    } else if (name == "IsSigned") {
        json_.boolean(false);
    } else if (name == "SignatureInfo") {
        empty_list();
    } else if (name == "Vulnerabilities") {
        vulnerabilities(field.children);
    } else if (name == "Referrers") {
        referrers(image.repository, image.digest, field.children);
    } else if (name == "IsDeletable") {
        json_.boolean(facts_.sources().may_delete(image.repository));
    } else if (name == "__typename") {
        json_.string("ImageSummary");
    } else {
        constexpr std::pair<std::string_view, Sym ManifestFacts::*> texts[] = {
            {"Description", &ManifestFacts::description},
            {"Licenses", &ManifestFacts::licenses},
            {"Labels", &ManifestFacts::labels},
            {"Title", &ManifestFacts::title},
            {"Source", &ManifestFacts::source},
            {"Documentation", &ManifestFacts::documentation},
            {"Vendor", &ManifestFacts::vendor},
            {"Authors", &ManifestFacts::authors},
        };
        for (const auto& [text_name, member] : texts) {
            if (name == text_name) {
                text(inherited(facts, member));
                return true;
            }
        }
        return false; // timestamps not known
    }
    return true;
}

void Writer::manifest(std::string_view repository, Sym digest, const ManifestFacts& facts,
                      const SelectionSets& sets) {
    json_.begin_object();
    for (const CollectedField& field : collector_.fields("ManifestSummary", sets)) {
        json_.key(field.key);
        if (!manifest_field(repository, digest, facts, field)) {
            json_.null();
        }
    }
    json_.end_object();
}

bool Writer::manifest_field(std::string_view repository, Sym digest, const ManifestFacts& facts,
                            const CollectedField& field) {
    std::string_view name = field.field->name;
    const SearchIndex& index = facts_.index();
    if (name == "Digest") {
        json_.string(index.digest(digest));
    } else if (name == "ConfigDigest") {
        json_.string(index.digest(facts.config_digest));
    } else if (name == "LastUpdated") {
        time(facts_.updated(facts));
    } else if (name == "Size") {
        size(facts_.total_size(facts));
    } else if (name == "IsSigned") {
        json_.boolean(false);
    } else if (name == "SignatureInfo") {
        empty_list();
    } else if (name == "Platform") {
        platform(facts.os, facts.arch, field.children);
    } else if (name == "DownloadCount") {
        auto parsed = oci::parse_digest(index.digest(digest));
        auto usage = parsed ? facts_.sources().usage(repository, *parsed) : std::nullopt;
        json_.uint64(usage ? usage->downloads : 0);
    } else if (name == "Layers") {
        layers(facts.layers, field.children);
    } else if (name == "History") {
        history(repository, facts, field.children);
    } else if (name == "Vulnerabilities") {
        vulnerabilities(field.children);
    } else if (name == "Referrers") {
        referrers(repository, digest, field.children);
    } else if (name == "ArtifactType") {
        text(facts.artifact_type);
    } else if (name == "__typename") {
        json_.string("ManifestSummary");
    } else {
        return false;
    }
    return true;
}

void Writer::platform(Sym os, Sym arch, const SelectionSets& sets) {
    json_.begin_object();
    for (const CollectedField& field : collector_.fields("Platform", sets)) {
        json_.key(field.key);
        std::string_view name = field.field->name;
        if (name == "Os") {
            text(os);
        } else if (name == "Arch") {
            text(arch);
        } else {
            json_.string("Platform");
        }
    }
    json_.end_object();
}

void Writer::layer(const LayerFact& layer, const SelectionSets& sets) {
    json_.begin_object();
    for (const CollectedField& field : collector_.fields("LayerSummary", sets)) {
        json_.key(field.key);
        std::string_view name = field.field->name;
        if (name == "Size") {
            size(layer.size);
        } else if (name == "Digest") {
            json_.string(facts_.index().digest(layer.digest));
        } else {
            json_.string("LayerSummary");
        }
    }
    json_.end_object();
}

void Writer::layers(const std::vector<LayerFact>& items, const SelectionSets& sets) {
    json_.begin_array();
    for (const LayerFact& item : items) {
        layer(item, sets);
    }
    json_.end_array();
}

void Writer::history(std::string_view repository, const ManifestFacts& facts,
                     const SelectionSets& sets) {
    const std::vector<HistoryEntry>* entries =
        facts.config_digest == 0 ? nullptr : facts_.sources().history(facts.config_digest);
    json_.begin_array();
    if (entries == nullptr) {
        if (facts.config_digest != 0) {
            missing_.push_back(MissingHistory{std::string(repository), facts.config_digest});
        }
        json_.end_array();
        return;
    }
    // Entries that made a layer take the manifest's layers in order (image-spec config.md).
    std::size_t next_layer = 0;
    for (const HistoryEntry& entry : *entries) {
        json_.begin_object();
        for (const CollectedField& field : collector_.fields("LayerHistory", sets)) {
            json_.key(field.key);
            std::string_view name = field.field->name;
            if (name == "Layer" && !entry.empty_layer && next_layer < facts.layers.size()) {
                layer(facts.layers[next_layer], field.children);
            } else if (name == "HistoryDescription") {
                history_description(entry, field.children);
            } else if (name == "__typename") {
                json_.string("LayerHistory");
            } else {
                json_.null();
            }
        }
        json_.end_object();
        next_layer += entry.empty_layer ? 0 : 1;
    }
    json_.end_array();
}

void Writer::history_description(const HistoryEntry& entry, const SelectionSets& sets) {
    json_.begin_object();
    for (const CollectedField& field : collector_.fields("HistoryDescription", sets)) {
        json_.key(field.key);
        std::string_view name = field.field->name;
        if (name == "Created") {
            time(entry.created_ns);
        } else if (name == "CreatedBy") {
            json_.string(entry.created_by);
        } else if (name == "Author") {
            json_.string(entry.author);
        } else if (name == "Comment") {
            json_.string(entry.comment);
        } else if (name == "EmptyLayer") {
            json_.boolean(entry.empty_layer);
        } else {
            json_.string("HistoryDescription");
        }
    }
    json_.end_object();
}

void Writer::vulnerabilities(const SelectionSets& sets) {
    // Without a CVE scanner nothing is known: no severity, no counts.
    json_.begin_object();
    for (const CollectedField& field : collector_.fields("ImageVulnerabilitySummary", sets)) {
        json_.key(field.key);
        std::string_view name = field.field->name;
        if (name == "MaxSeverity") {
            json_.string("");
        } else if (name == "__typename") {
            json_.string("ImageVulnerabilitySummary");
        } else {
            json_.int64(0);
        }
    }
    json_.end_object();
}

void Writer::referrers(std::string_view repository, Sym digest, const SelectionSets& sets) {
    auto subject = oci::parse_digest(facts_.index().digest(digest));
    json_.begin_array();
    if (!subject) {
        json_.end_array();
        return;
    }
    for (const storage::Referrer& item : facts_.sources().referrers(repository, *subject)) {
        referrer(item, sets);
    }
    json_.end_array();
}

void Writer::referrer(const storage::Referrer& referrer, const SelectionSets& sets) {
    json_.begin_object();
    for (const CollectedField& field : collector_.fields("Referrer", sets)) {
        json_.key(field.key);
        std::string_view name = field.field->name;
        if (name == "MediaType") {
            json_.string(referrer.media_type);
        } else if (name == "ArtifactType") {
            json_.string(referrer.artifact_type);
        } else if (name == "Size") {
            json_.uint64(referrer.size);
        } else if (name == "Digest") {
            json_.string(referrer.digest.str());
        } else if (name == "Annotations") {
            json_.begin_array();
            for (const auto& [key, value] : referrer.annotations) {
                json_.begin_object();
                for (const CollectedField& pair : collector_.fields("Annotation", field.children)) {
                    json_.key(pair.key);
                    std::string_view part = pair.field->name;
                    json_.string(part == "Key" ? key : part == "Value" ? value : "Annotation");
                }
                json_.end_object();
            }
            json_.end_array();
        } else {
            json_.string("Referrer");
        }
    }
    json_.end_object();
}

void Writer::page_info(std::size_t total, std::size_t count, const SelectionSets& sets) {
    json_.begin_object();
    for (const CollectedField& field : collector_.fields("PageInfo", sets)) {
        json_.key(field.key);
        std::string_view name = field.field->name;
        if (name == "TotalCount") {
            json_.uint64(total);
        } else if (name == "ItemCount") {
            json_.uint64(count);
        } else {
            json_.string("PageInfo");
        }
    }
    json_.end_object();
}

void Writer::images_page(std::size_t total, const std::vector<ImageRef>& shown,
                         const SelectionSets& sets) {
    json_.begin_object();
    for (const CollectedField& field : collector_.fields("PaginatedImagesResult", sets)) {
        json_.key(field.key);
        if (field.field->name == "Page") {
            page_info(total, shown.size(), field.children);
        } else if (field.field->name == "Results") {
            this->images(shown, field.children);
        } else {
            json_.string("PaginatedImagesResult");
        }
    }
    json_.end_object();
}

} // namespace berth::ext::search
