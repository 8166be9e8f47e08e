/* SPDX-License-Identifier: BSD-3-Clause */
/* One maker of new UIDs for everything the plugin writes (outputs and
 * de-identification): "2.25." and a random 128-bit number (PS3.5 B.2), as a
 * UUID version 4, unique without a registered root.  C++ only, private. */
#ifndef TSC_UID_PRIVATE_H
#define TSC_UID_PRIVATE_H

#include <random>
#include <string>

std::string tsc__random_uid(std::random_device &rd);

#endif
