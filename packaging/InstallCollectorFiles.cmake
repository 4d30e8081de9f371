# Run at install time (install(SCRIPT), component collector): writes the
# systemd unit and the default config with the paths of the prefix being
# installed to, which only the install step knows (a package build installs
# to /usr while the build tree was configured for /usr/local).
# Inputs: CAIRN_PACKAGING_DIR (this folder), CAIRN_STAGING_DIR (scratch),
# CAIRN_BIN_SUBDIR, CAIRN_DOC_SUBDIR (relative to the prefix).
# Paths as GNUInstallDirs lays them out: /usr keeps its config in /etc and
# its state in /var; any other prefix keeps both under itself.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(_etc "/etc")
  set(_var "/var")
else()
  set(_etc "${CMAKE_INSTALL_PREFIX}/etc")
  set(_var "${CMAKE_INSTALL_PREFIX}/var")
endif()
set(CAIRN_BIN_DIR "${CMAKE_INSTALL_PREFIX}/${CAIRN_BIN_SUBDIR}")
set(CAIRN_DOC_DIR "${CMAKE_INSTALL_PREFIX}/${CAIRN_DOC_SUBDIR}")
set(CAIRN_CONF_DIR "${_etc}/cairn")
set(CAIRN_STATE_DIR "${_var}/lib/cairn")

configure_file("${CAIRN_PACKAGING_DIR}/collector/cairn-collector.service.in"
               "${CAIRN_STAGING_DIR}/cairn-collector.service" @ONLY)
configure_file("${CAIRN_PACKAGING_DIR}/collector/collector.conf.in"
               "${CAIRN_STAGING_DIR}/collector.conf" @ONLY)
# file(INSTALL) honours DESTDIR and lists the files in install_manifest.txt.
file(INSTALL "${CAIRN_STAGING_DIR}/cairn-collector.service"
     DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system"
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
file(INSTALL "${CAIRN_STAGING_DIR}/collector.conf"
     DESTINATION "${CAIRN_CONF_DIR}"
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
