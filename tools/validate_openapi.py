#!/usr/bin/env python3
"""Validates one answer of madre against docs/openapi.json.

    tools/validate_openapi.py DOC METHOD PATH_TEMPLATE STATUS [ANSWER_FILE|-]
    tools/validate_openapi.py --check DOC

PATH_TEMPLATE is the document's path ("/madre/power/windows/{id}"); the answer (a JSON body) is
read from ANSWER_FILE, or stdin when it is "-" or absent. The schema of that operation's
response for STATUS (application/json) is checked with a JSON Schema Draft 2020-12 validator,
its "$ref"s resolved against the document's components.

--check checks the document itself (ctest openapi_document_check): every schema in it (the
components', each request body's and each answer's) is a valid Draft 2020-12 schema, and every
"$ref" resolves.

Exit 0: the answer validates (the document is sound). 1: it does not, or the document has no such operation or status
(the reason on stderr). 2: bad usage or an unreadable document or answer.
Needs python3-jsonschema (Debian; scripts/setup.sh installs it).
"""
import json
import sys

import jsonschema


def fail(code, message):
    print("validate_openapi: " + message, file=sys.stderr)
    sys.exit(code)


def schemas_of(doc):
    """(where, schema) of every schema of the document."""
    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        yield "components/schemas/" + name, schema
    for path, item in doc.get("paths", {}).items():
        for method, operation in item.items():
            where = "%s %s" % (method.upper(), path)
            body = operation.get("requestBody", {}).get("content", {})
            for kind, content in body.items():
                yield where + " request " + kind, content.get("schema", {})
            for status, response in operation.get("responses", {}).items():
                for kind, content in response.get("content", {}).items():
                    yield "%s %s %s" % (where, status, kind), content.get("schema", {})
            for param in operation.get("parameters", []):
                yield where + " parameter " + param.get("name", "?"), param.get("schema", {})


def refs_of(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs_of(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs_of(value)


def check(doc_path):
    try:
        with open(doc_path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        fail(2, str(e))
    problems = []
    if not str(doc.get("openapi", "")).startswith("3.1."):
        problems.append("openapi is not 3.1.x")
    count = 0
    for where, schema in schemas_of(doc):
        count += 1
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.exceptions.SchemaError as e:
            problems.append("%s: %s" % (where, e.message))
    names = doc.get("components", {}).get("schemas", {})
    prefix = "#/components/schemas/"
    for ref in sorted(set(refs_of(doc))):
        if not ref.startswith(prefix) or ref[len(prefix):] not in names:
            problems.append("%s does not resolve" % ref)
    for problem in problems:
        print("validate_openapi: " + problem, file=sys.stderr)
    if problems:
        sys.exit(1)
    print("validate_openapi: %s: %d schemas, all valid" % (doc_path, count))
    return 0


def main(argv):
    if len(argv) == 3 and argv[1] == "--check":
        return check(argv[2])
    if len(argv) not in (5, 6):
        fail(2, "usage: validate_openapi.py DOC METHOD PATH_TEMPLATE STATUS [ANSWER_FILE|-]"
             " | --check DOC")
    doc_path, method, path, status = argv[1], argv[2].lower(), argv[3], argv[4]
    source = argv[5] if len(argv) == 6 else "-"
    try:
        with open(doc_path, encoding="utf-8") as f:
            doc = json.load(f)
        text = sys.stdin.read() if source == "-" else open(source, encoding="utf-8").read()
    except (OSError, ValueError) as e:
        fail(2, str(e))
    try:
        answer = json.loads(text)
    except ValueError as e:
        fail(1, "the answer is not JSON: %s" % e)
    operation = doc.get("paths", {}).get(path, {}).get(method)
    if operation is None:
        fail(1, "the document has no operation %s %s" % (method.upper(), path))
    response = operation.get("responses", {}).get(status)
    if response is None:
        fail(1, "%s %s does not document the status %s" % (method.upper(), path, status))
    content = response.get("content", {}).get("application/json")
    if content is None:
        fail(1, "%s %s %s has no application/json answer" % (method.upper(), path, status))
    # The operation's schema under a root that carries the components, so that
    # "#/components/schemas/X" resolves.
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
              "allOf": [content["schema"]],
              "components": doc.get("components", {})}
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(answer), key=lambda e: list(e.absolute_path))
    if errors:
        for error in errors[:10]:
            where = "/".join(str(p) for p in error.absolute_path) or "(the answer)"
            print("%s %s %s: at %s: %s" % (method.upper(), path, status, where, error.message),
                  file=sys.stderr)
        sys.exit(1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
