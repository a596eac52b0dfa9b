"""The Label Studio labeling config, generated from the schema.

Word-granularity labels on right-to-left text (Label Studio's ``<Text>`` has no
``dir`` attribute, so a styled ``<View>`` wraps it), a per-region status
choice shown when a region of the status label is selected, and the schema's
relation labels.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from trainer.formats.labelstudio import LABELS_NAME, TEXT_NAME
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
