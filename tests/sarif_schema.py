"""The parts of the SARIF 2.1.0 schema (OASIS, sarif-schema-2.1.0.json) that envssot emits.

Written from the standard's text: required properties, types, enums and bounds for every
object we produce. Extra properties stay allowed, as in the official schema.
"""

from __future__ import annotations

_MESSAGE = {
    "type": "object",
    "anyOf": [{"required": ["text"]}, {"required": ["id"]}],
    "properties": {"text": {"type": "string"}, "id": {"type": "string"}},
}
_REGION = {
    "type": "object",
    "properties": {
        "startLine": {"type": "integer", "minimum": 1},
        "startColumn": {"type": "integer", "minimum": 1},
        "endLine": {"type": "integer", "minimum": 1},
    },
}
_PHYSICAL = {
    "type": "object",
    "anyOf": [{"required": ["address"]}, {"required": ["artifactLocation"]}],
    "properties": {
        "artifactLocation": {
            "type": "object",
            "properties": {"uri": {"type": "string", "format": "uri-reference"}},
        },
        "region": _REGION,
    },
}
_RESULT = {
    "type": "object",
    "required": ["message"],
    "properties": {
        "ruleId": {"type": "string"},
        "ruleIndex": {"type": "integer", "minimum": -1},
        "kind": {"enum": ["notApplicable", "pass", "fail", "review", "open", "informational"]},
        "level": {"enum": ["none", "note", "warning", "error"]},
        "message": _MESSAGE,
        "locations": {
            "type": "array",
            "uniqueItems": True,
            "items": {"type": "object", "properties": {"physicalLocation": _PHYSICAL}},
        },
        "partialFingerprints": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}
_DESCRIPTOR = {
    "type": "object",
    "required": ["id"],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "shortDescription": {"type": "object", "required": ["text"]},
        "defaultConfiguration": {
            "type": "object",
            "properties": {"level": {"enum": ["none", "note", "warning", "error"]}},
        },
    },
}
SARIF_2_1_0_SUBSET = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "$schema": {"type": "string", "format": "uri"},
        "version": {"enum": ["2.1.0"]},
        "runs": {
            "type": ["array", "null"],
            "items": {
                "type": "object",
                "required": ["tool"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "version": {"type": "string"},
                                    "informationUri": {"type": "string", "format": "uri"},
                                    "rules": {
                                        "type": "array",
                                        "uniqueItems": True,
                                        "items": _DESCRIPTOR,
                                    },
                                },
                            }
                        },
                    },
                    "results": {"type": ["array", "null"], "items": _RESULT},
                },
            },
        },
    },
}
