# Debian packages with CPack, two from one build, one per install component (docs/packaging.md):
#   jppd        the daemon, its systemd unit, /etc/jppd/jppd.conf (a conffile), the man page, the docs; its
#               maintainer scripts make the system user jppd
#   libjpp-dev  libjpp (static), libjpp_c.so (the C ABI), the headers, the CMake package and the pkg-config file
# Made with: cpack --config BUILD/CPackConfig.cmake -B OUTPUT_DIR   (or: cmake --build BUILD --target package)

set(JPP_PACKAGE_MAINTAINER "The libjpp authors <maintainers@users.noreply.r-seed-f1bd019a.example>"
    CACHE STRING "The Maintainer field of the Debian packages (Name <address>)")
set(JPP_PACKAGE_HOMEPAGE "" CACHE STRING "The Homepage field of the Debian packages (left out when empty)")
set(JPP_PACKAGE_RELEASE "1" CACHE STRING "The Debian revision of the packages (the part after the version's '-')")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME jpp)
set(CPACK_PACKAGE_VENDOR "The libjpp authors")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# Each package's summary is the first line of its own description (below): no summary common to both, which
# CPack would put before each.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Only what install() names goes in: no source tree, no build tree. Executables and shared libraries are
# stripped of their debugging information, as Debian's are.
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL libjpp-dev)
if(JPP_BUILD_DAEMON)
  list(APPEND CPACK_COMPONENTS_ALL jppd)
endif()
set(CPACK_COMPONENTS_GROUPING IGNORE)

# Fields both packages share. The version is the project's; file names are Debian's (NAME_VERSION-REV_ARCH.deb).
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${JPP_PACKAGE_RELEASE})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${JPP_PACKAGE_MAINTAINER}")
if(JPP_PACKAGE_HOMEPAGE)
  set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${JPP_PACKAGE_HOMEPAGE}")
endif()
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends on shared libraries from dpkg-shlibdeps (package dpkg-dev), added to the Depends each package names.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Maintainer scripts 0755 and the conffiles list 0644, whatever the checkout's modes.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# libjpp_c.so gets a shlibs entry and the ldconfig trigger.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)

# jppd
set(CPACK_DEBIAN_JPPD_PACKAGE_NAME jppd)
set(CPACK_DEBIAN_JPPD_PACKAGE_SECTION net)
set(CPACK_DEBIAN_JPPD_DESCRIPTION "Bitcoin Cash payment invoice daemon
jppd serves Watchtower's JSON Payment Protocol API over HTTP: merchants create
invoices, wallets pay them through BitPay's JSON Payment Protocol (v2 and v1)
or BIP70, and each payment is checked output by output, broadcast through a
Bitcoin Cash node and recorded exactly once in SQLite or PostgreSQL. It sends
WebSocket notifications and signed webhooks, and follows the chain for
confirmations and reversals.
.
This package holds the daemon, a hardened systemd unit (not enabled: it needs
a node configured in /etc/jppd/jppd.conf first) and the system user jppd.")
# The user is made by systemd-sysusers from the package's sysusers.d file, or by adduser (postinst).
set(CPACK_DEBIAN_JPPD_PACKAGE_DEPENDS "systemd-sysusers | adduser")
set(CPACK_DEBIAN_JPPD_PACKAGE_SUGGESTS postgresql)
set(_jppd_packaging ${PROJECT_SOURCE_DIR}/jppd/packaging)
set(CPACK_DEBIAN_JPPD_PACKAGE_CONTROL_EXTRA
    ${_jppd_packaging}/postinst ${_jppd_packaging}/prerm ${_jppd_packaging}/postrm ${_jppd_packaging}/conffiles)

# libjpp-dev. libjpp is a static library: a program linking it also links what libjpp links, whose development
# packages the CMake package (find_dependency) and the pkg-config file (Requires.private) name.
set(CPACK_DEBIAN_LIBJPP-DEV_PACKAGE_NAME libjpp-dev)
set(CPACK_DEBIAN_LIBJPP-DEV_PACKAGE_SECTION libdevel)
set(_jpp_dev_depends "libssl-dev (>= 3), libsecp256k1-dev, libsqlitecpp-dev, libsqlite3-dev, pkg-config")
if(JPP_WITH_POSTGRES)
  string(APPEND _jpp_dev_depends ", libpq-dev")
endif()
set(CPACK_DEBIAN_LIBJPP-DEV_PACKAGE_DEPENDS "${_jpp_dev_depends}")
set(CPACK_DEBIAN_LIBJPP-DEV_DESCRIPTION "Bitcoin Cash payment invoice library (development files)
libjpp is a C++20 library for merchants and wallet backends: strict Bitcoin
Cash transaction decoding (CashTokens included), CashAddr and legacy
addresses, hashing, an offline signer, the invoice model, payment
verification, an event bus and SQLite and PostgreSQL stores.
.
This package holds the static library with its headers, CMake package
(find_package(jpp)) and pkg-config file (jpp), and libjpp_c.so, the stable C
ABI, with jpp.h.")

include(CPack)
