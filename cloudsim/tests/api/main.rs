//! Integration tests of the emulator over HTTP on 127.0.0.1:0, with requests signed by the
//! `crossbind_aliyun::sign` functions, plus the binary's flags.

mod binary;
mod client;
mod clusters;
mod data_sources;
mod dataworks;
mod emr;
mod faults;
mod mappings;
mod ram;
mod resource_groups;
mod signing;
mod support;
