# Install components and Debian packages (CPack).
#   sdk:       static libraries, public headers, the CMake package, docs
#              (the install rules sit next to each library).
#   collector: cairn-collector, cairnctl (their own CMakeLists), and here the
#              systemd unit and a default config file.
# `cmake --install BUILD --component sdk` installs the SDK alone; `--strip`
# strips binaries and the debug info of the static libraries.
# `cpack -G DEB` (in BUILD) makes cairn-sdk and cairn-collector packages,
# stripped; docs/deploy.md#packages says what each holds.

# The SDK's dependencies as Debian -dev packages: what the installed
# CairnConfig.cmake's find_dependency calls find. The package test checks
# this list against the files they resolve to.
set(CAIRN_SDK_DEB_DEPENDS
    "libabsl-dev, libprotobuf-dev, libcurl4-openssl-dev | libcurl-dev, libsqlite3-dev, libssl-dev, libzstd-dev, zlib1g-dev")

set(CAIRN_SDK_ARCHIVES cairn_proto cairn_common cairn_consent cairn_sdk)
list(TRANSFORM CAIRN_SDK_ARCHIVES REPLACE "^(.+)$" "$<TARGET_FILE_NAME:\\1>")
# CMake never strips a static library (install --strip leaves archives as
# they are); their debug info is most of their size. --strip-debug keeps the
# symbol table the linker needs.
install(CODE "
  if(CMAKE_INSTALL_DO_STRIP)
    foreach(archive ${CAIRN_SDK_ARCHIVES})
      execute_process(
        COMMAND \"${CMAKE_STRIP}\" --strip-debug
                \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/\${archive}\"
        COMMAND_ERROR_IS_FATAL ANY)
    endforeach()
  endif()" COMPONENT sdk)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/sdk.md
              ${PROJECT_SOURCE_DIR}/docs/protocol.md ${PROJECT_SOURCE_DIR}/docs/privacy.md
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/cairn-sdk COMPONENT sdk)

set(CAIRN_PACKAGE_COMPONENTS sdk)
if(CAIRN_BUILD_COLLECTOR)
  list(APPEND CAIRN_PACKAGE_COMPONENTS collector)
  set(CAIRN_COLLECTOR_DOC_SUBDIR ${CMAKE_INSTALL_DATAROOTDIR}/doc/cairn-collector)
  install(FILES ${PROJECT_SOURCE_DIR}/docs/collector.md ${PROJECT_SOURCE_DIR}/docs/deploy.md
          DESTINATION ${CAIRN_COLLECTOR_DOC_SUBDIR} COMPONENT collector)
  install(CODE "
    set(CAIRN_PACKAGING_DIR \"${CMAKE_CURRENT_LIST_DIR}\")
    set(CAIRN_STAGING_DIR \"${CMAKE_CURRENT_BINARY_DIR}/packaging\")
    set(CAIRN_BIN_SUBDIR \"${CMAKE_INSTALL_BINDIR}\")
    set(CAIRN_DOC_SUBDIR \"${CAIRN_COLLECTOR_DOC_SUBDIR}\")" COMPONENT collector)
  install(SCRIPT ${CMAKE_CURRENT_LIST_DIR}/InstallCollectorFiles.cmake COMPONENT collector)
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME cairn)
set(CPACK_PACKAGE_VENDOR "Cairn")
set(CPACK_PACKAGE_CONTACT "Cairn maintainers <cairn@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Privacy-aware in-app telemetry")
set(CPACK_COMPONENTS_ALL ${CAIRN_PACKAGE_COMPONENTS})
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# The install runs with prefix /usr into a staging DESTDIR, so that the
# collector's config lands in /etc (InstallCollectorFiles.cmake), whatever
# prefix the build directory was configured with.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_SDK_PACKAGE_NAME cairn-sdk)
set(CPACK_DEBIAN_SDK_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_SDK_PACKAGE_DEPENDS "${CAIRN_SDK_DEB_DEPENDS}")
set(CPACK_DEBIAN_SDK_PACKAGE_RECOMMENDS "cmake")
set(CPACK_COMPONENT_SDK_DESCRIPTION
    "Cairn SDK: static libraries, headers and CMake package\n\
Link cairn::sdk (find_package(Cairn CONFIG)) to record logins, sessions,\n\
milestones and consent decisions and send them to a Cairn collector.")

set(CPACK_DEBIAN_COLLECTOR_PACKAGE_NAME cairn-collector)
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_SECTION net)
# Shared libraries from dpkg-shlibdeps; adduser for the maintainer scripts.
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_LIST_DIR}/collector/postinst ${CMAKE_CURRENT_LIST_DIR}/collector/prerm
    ${CMAKE_CURRENT_LIST_DIR}/collector/postrm ${CMAKE_CURRENT_LIST_DIR}/collector/conffiles)
set(CPACK_COMPONENT_COLLECTOR_DESCRIPTION
    "Cairn collector: telemetry server and cairnctl\n\
Receives batches from the Cairn SDK and stores them in SQLite or PostgreSQL.\n\
Runs as the cairn system user under systemd (cairn-collector.service),\n\
configured by /etc/cairn/collector.conf.")
include(CPack)
