# The Cairn Node addon over libcairn.so. Built with node-gyp against the
# installed Node headers (--nodedir=/usr): nothing is fetched from nodejs.org.
# CAIRN_INCLUDE_DIR holds cairn/cairn.h and CAIRN_LIBRARY_DIR libcairn.so;
# the addon gets that directory as its rpath so it loads the library it was
# built against without LD_LIBRARY_PATH.
{
  "variables": {
    "cairn_include_dir": "<!(node -p \"process.env.CAIRN_INCLUDE_DIR || process.exit(1)\")",
    "cairn_library_dir": "<!(node -p \"process.env.CAIRN_LIBRARY_DIR || process.exit(1)\")",
  },
  "targets": [
    {
      "target_name": "cairn_node",
      "sources": [
        "src/addon.cc",
        "src/calls.cc",
        "src/client.cc",
        "src/napi_util.cc",
        "src/options.cc",
      ],
      "include_dirs": ["<(cairn_include_dir)"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc!": ["-std=gnu++17", "-std=gnu++1y"],
      "cflags_cc": ["-std=c++20", "-fno-exceptions", "-Wall", "-Wextra", "-Werror"],
      "libraries": [
        "-L<(cairn_library_dir)",
        "-lcairn",
        "-Wl,-rpath,<(cairn_library_dir)",
      ],
    }
  ]
}
