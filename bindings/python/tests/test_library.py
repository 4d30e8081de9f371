"""Loading the library and the error mapping (no collector needed)."""

from __future__ import annotations

import os
import subprocess
import sys
import unittest

import cairn
from cairn import _errors

PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class LibraryTest(unittest.TestCase):
    def test_the_loaded_library_has_a_version(self) -> None:
        self.assertRegex(cairn.library_version(), r"^\d+\.\d+\.\d+")

    def load_in_child(self, prelude: str, **env: str) -> str:
        """What a fresh interpreter prints when loading the library after `prelude` fails."""
        script = (
            "import cairn\n" + prelude + "try:\n"
            "    cairn.library_version()\n"
            "except cairn.LibraryError as e:\n"
            "    print('LibraryError', e)\n"
        )
        result = subprocess.run(
            [sys.executable, "-B", "-c", script],
            env=dict(os.environ, PYTHONPATH=PACKAGE_ROOT, **env),
            capture_output=True,
            text=True,
            timeout=60,
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout

    def test_a_missing_library_raises_library_error(self) -> None:
        out = self.load_in_child("", CAIRN_LIBRARY="/nonexistent/libcairn.so")
        self.assertIn("LibraryError", out)
        self.assertIn("CAIRN_LIBRARY", out)

    def test_a_library_of_another_abi_version_is_refused(self) -> None:
        out = self.load_in_child("cairn._lib.ABI_VERSION = 2\n")
        self.assertIn("LibraryError", out)
        self.assertIn("ABI version 1; these bindings need 2", out)

    def test_each_code_has_its_class_with_the_librarys_name(self) -> None:
        lib = cairn._lib.lib()
        for code in range(1, 17):
            error = _errors.error_for(code, "why")
            self.assertEqual(error.code, code)
            self.assertEqual(error.code_name, lib.cairn_status_code_name(code).decode())
            self.assertEqual(error.message, "why")
            self.assertIsInstance(error, cairn.CairnError)
        self.assertIsInstance(_errors.error_for(7, ""), cairn.PermissionDenied)
        self.assertIsInstance(_errors.error_for(3, ""), ValueError)
        unknown = _errors.error_for(99, "odd")
        self.assertIsInstance(unknown, cairn.Unknown)
        self.assertEqual(unknown.code, 99)


if __name__ == "__main__":
    unittest.main()
