"""Canonical plain text of a layer of the sample TEI volume (see make_annotations.py)."""
import re

from lxml import etree

TEI = "http://www.tei-c.org/ns/1.0"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
BLOCKS = {"p", "head", "quote", "item", "dateline", "signed", "salute", "l", "ab", "label"}


def _local(el):
    return etree.QName(el).localname if isinstance(el.tag, str) else None


def _inline_text(el, out):
    name = _local(el)
    if name == "note":
        return
    if name == "lb":
        out.append(" ")
    if el.text:
        out.append(el.text)
    for child in el:
        if isinstance(child.tag, str):
            _inline_text(child, out)
        if child.tail:
            out.append(child.tail)


def block_text(el):
    out = []
    _inline_text(el, out)
    return re.sub(r"[ \t\n\r]+", " ", "".join(out)).strip()


def layer_text(layer_div):
    blocks = []

    def walk(parent):
        for child in parent:
            name = _local(child)
            if name is None or name == "note":
                continue
            if name in BLOCKS and (name != "quote" or parent is layer_div):
                t = block_text(child)
                if t:
                    blocks.append(t)
            else:
                walk(child)

    walk(layer_div)
    return "\n".join(blocks)


def load_layers(path):
    """{(entry_id, layer_type): text}"""
    tree = etree.parse(path)
    res = {}
    for entry in tree.iterfind(f".//{{{TEI}}}div[@type='entry']"):
        for layer in entry.findall(f"{{{TEI}}}div"):
            res[(entry.get(XML_ID), layer.get("type"))] = layer_text(layer)
    return res
