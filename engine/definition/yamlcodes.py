"""What strict YAML reading refuses: the bounds on a definition file and the Y1xx codes it reports."""

from __future__ import annotations

from reviewflow.engine.errors import CodeInfo, Severity
from reviewflow.engine.limits import MAX_DIGITS, MAX_FILE_BYTES

MAX_BYTES = MAX_FILE_BYTES  # definitions are a few hundred lines; anything this big is a mistake
MAX_ALIASES = 100  # billion-laughs guard: aliases (*name) written in one file
MAX_VALUES = 100_000  # expansion guard: values (keys included) once aliases are expanded
MAX_DEPTH = 64  # nesting guard (the language needs about 8 levels)

_E = Severity.ERROR
Y101 = CodeInfo("Y101", "duplicate-key", _E, "a key is written twice in one mapping")
Y102 = CodeInfo("Y102", "yaml11-boolean", _E, "yes/no/on/off/y/n used as a value; write true or false")
Y103 = CodeInfo("Y103", "unquoted-date", _E, "an unquoted date or timestamp; dates are quoted strings")
Y104 = CodeInfo("Y104", "unknown-tag", _E, "a YAML tag (!x, !!python/...) is used; tags are not allowed")
Y105 = CodeInfo("Y105", "tab-indentation", _E, "a tab is used for indentation")
Y106 = CodeInfo("Y106", "not-utf8", _E, "the file is not valid UTF-8")
Y107 = CodeInfo("Y107", "empty-file", _E, "the file holds no definition")
Y108 = CodeInfo("Y108", "root-not-mapping", _E, "the top level is not a mapping of keys")
Y109 = CodeInfo("Y109", "too-many-aliases", _E, "too many aliases, a recursive alias, or too large an expansion")
Y110 = CodeInfo("Y110", "file-too-large", _E, "the file is larger than 1 MiB")
Y111 = CodeInfo("Y111", "syntax-error", _E, "the YAML cannot be parsed")
Y112 = CodeInfo("Y112", "merge-key", _E, "a merge key `<<` is used; write the keys out")
Y113 = CodeInfo("Y113", "non-string-key", _E, "a key is a number, null, boolean, list or mapping")
Y114 = CodeInfo("Y114", "ambiguous-number", _E, "a number written in a form YAML versions read differently")
Y115 = CodeInfo("Y115", "unquoted-version", _E, "`version` written as a number; quote it")
Y116 = CodeInfo("Y116", "multiple-documents", _E, "more than one YAML document (---) in one file")
Y117 = CodeInfo("Y117", "bad-character", _E, "a control or otherwise unprintable character")
Y118 = CodeInfo("Y118", "too-deep", _E, "values nested more deeply than 64 levels")
Y119 = CodeInfo("Y119", "unreadable-file", _E, "the file cannot be read, or is not a regular file")
Y120 = CodeInfo("Y120", "number-too-large", _E, f"a number with more than {MAX_DIGITS} digits, or too large "
                "to be a number at all")

CODES: tuple[CodeInfo, ...] = (Y101, Y102, Y103, Y104, Y105, Y106, Y107, Y108, Y109, Y110,
                               Y111, Y112, Y113, Y114, Y115, Y116, Y117, Y118, Y119, Y120)
