#!/usr/bin/python3
"""Validate a JSON document against a JSON Schema (draft 2020-12).

usage: validate_json.py SCHEMA FILE [--def NAME]

  --def NAME   validate against SCHEMA's $defs/NAME instead of its root
               (e.g. --def observation for a single observation).

Exit status: 0 valid; 1 invalid (the first errors are printed, each with
the JSON path of the offending value); 2 usage error, unreadable file,
malformed JSON or a schema that is not itself valid.

Uses Debian's python3-jsonschema, hence /usr/bin/python3 explicitly.
"""
import json
import sys

MAX_ERRORS = 10


def json_path(path):
    out = "$"
    for part in path:
        out += "[%d]" % part if isinstance(part, int) else "." + str(part)
    return out


def load(path, what):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, UnicodeDecodeError, ValueError) as e:
        print("%s: cannot read %s: %s" % (path, what, e), file=sys.stderr)
        sys.exit(2)


def main(argv):
    args = argv[1:]
    definition = None
    if "--def" in args:
        i = args.index("--def")
        if i + 1 >= len(args):
            print(__doc__, file=sys.stderr)
            return 2
        definition = args[i + 1]
        del args[i:i + 2]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    schema_path, doc_path = args
    try:
        import jsonschema
        from jsonschema import Draft202012Validator
    except ImportError:
        print("python3-jsonschema is not installed "
              "(apt-get install python3-jsonschema)", file=sys.stderr)
        return 2

    schema = load(schema_path, "schema")
    document = load(doc_path, "document")
    try:
        Draft202012Validator.check_schema(schema)
    except jsonschema.exceptions.SchemaError as e:
        print("%s: not a valid draft 2020-12 schema: %s"
              % (schema_path, e.message), file=sys.stderr)
        return 2
    if definition is not None:
        if definition not in schema.get("$defs", {}):
            print("%s: no $defs/%s" % (schema_path, definition),
                  file=sys.stderr)
            return 2
        target = dict(schema)
        target["$ref"] = "#/$defs/" + definition
        for key in ("type", "required", "properties",
                    "additionalProperties"):
            target.pop(key, None)
        schema = target

    validator = Draft202012Validator(
        schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(document),
                    key=lambda e: [str(p) for p in e.absolute_path])
    if not errors:
        return 0
    for e in errors[:MAX_ERRORS]:
        print("%s: %s: %s" % (doc_path, json_path(e.absolute_path),
                              e.message))
    if len(errors) > MAX_ERRORS:
        print("%s: ... and %d more errors" % (doc_path,
                                              len(errors) - MAX_ERRORS))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
