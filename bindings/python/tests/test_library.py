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

    def test_a_missing_library_raises_library_error(self) -> None:
        env = dict(os.environ, CAIRN_LIBRARY="/nonexistent/libcairn.so", PYTHONPATH=PACKAGE_ROOT)
        script = (
            "import cairn\n"
            "try:\n"
            "    cairn.Client(collector_url='http://127.0.0.1:1', write_key='k', storage_dir='.')\n"
            "except cairn.LibraryError as e:\n"
            "    print('LibraryError', e)\n"
        )
        result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("LibraryError", result.stdout)
        self.assertIn("CAIRN_LIBRARY", result.stdout)

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
