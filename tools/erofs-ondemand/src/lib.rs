// SPDX-License-Identifier: GPL-2.0
//! Pieces of erofs-ondemand shared with its tests.

pub mod http;
