"""The Label Studio labeling config, generated from the schema.

Generated: word-granularity labels on right-to-left text (Label Studio's ``<Text>`` has no
``dir`` attribute, so a styled ``<View>`` wraps it), a per-region status
choice shown when a region of the status label is selected, and the schema's
relation labels. Read back: the control names of any config with the schema's
labels (:func:`control_names`), for results that fit a project made elsewhere.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from trainer.errors import TrainerError
from trainer.formats.labelstudio import LABELS_NAME, TEXT_NAME, ControlNames
from trainer.schema import Schema


def labeling_config(schema: Schema) -> str:
    view = ET.Element("View")
    ET.SubElement(view, "Header", value=f"Annotate: {schema.name}")

    labels = ET.SubElement(view, "Labels", name=LABELS_NAME, toName=TEXT_NAME)
    for entity in schema.entities:
        ET.SubElement(labels, "Label", value=entity.label, background=entity.color, hint=entity.description)

    text_view = ET.SubElement(view, "View", style="direction: rtl; text-align: right")
    ET.SubElement(text_view, "Text", name=TEXT_NAME, value=f"${TEXT_NAME}", granularity="word")

    if schema.relations:
        relations = ET.SubElement(view, "Relations")
        for relation in schema.relations:
            ET.SubElement(relations, "Relation", value=relation.name)

    if schema.status is not None:
        choices = ET.SubElement(
            view,
            "Choices",
            name=schema.status.name,
            toName=TEXT_NAME,
            perRegion="true",
            required="true",
            choice="single-radio",
            visibleWhen="region-selected",
            whenLabelValue=schema.status.label,
        )
        for value in schema.status.values:
            ET.SubElement(choices, "Choice", value=value)

    ET.indent(view, space="  ")
    return ET.tostring(view, encoding="unicode") + "\n"


class LabelingConfigError(TrainerError, ValueError):
    """A labeling config without the controls a model of this schema needs; says which are missing."""


def control_names(config: str, schema: Schema) -> ControlNames:
    """The control names of a project's labeling config, for results a model of ``schema`` writes into it.

    The config must have a ``Labels`` control with every entity label, on a ``Text`` object, a
    per-region ``Choices`` control with every status value (when the schema has one) and a
    ``Relations`` control with every relation type; the names may be any.
    """
    try:
        root = ET.fromstring(config)
    except ET.ParseError as error:
        raise LabelingConfigError(f"the labeling config is not valid XML ({error})") from None
    wanted = set(schema.entity_labels)
    labels = next((c for c in root.iter("Labels") if wanted <= _values(c, "Label")), None)
    if labels is None:
        found = sorted({v for c in root.iter("Labels") for v in _values(c, "Label")})
        raise LabelingConfigError(
            f"the labeling config has no Labels control with all of {sorted(wanted)} (it has {found}): "
            f"it is not a {schema.name} project; create one with `labelstudio.py init`"
        )
    text = next((c for c in root.iter("Text") if c.get("name") == labels.get("toName")), None)
    if text is None or not (text.get("value") or "").startswith("$"):
        raise LabelingConfigError(
            f"the labeling config has no Text object {labels.get('toName')!r} with a $field value"
        )
    status = None
    if schema.status is not None:
        wanted_values = set(schema.status.values)
        choices = next((c for c in root.iter("Choices") if wanted_values <= _values(c, "Choice")), None)
        if choices is None:
            raise LabelingConfigError(f"the labeling config has no Choices control with {sorted(wanted_values)}")
        status = choices.get("name")
    relations = {v for c in root.iter("Relations") for v in _values(c, "Relation")}
    if not set(schema.relation_names) <= relations:
        missing = sorted(set(schema.relation_names) - relations)
        raise LabelingConfigError(f"the labeling config's Relations lack {missing}")
    return ControlNames(labels.get("name"), text.get("name"), text.get("value")[1:], status)


def _values(control: ET.Element, tag: str) -> set[str]:
    return {child.get("value") for child in control.iter(tag)}
