// Package exepages gives back the pages of the process's own executable
// that it mapped once and no longer uses, so that its resident set (VmRSS,
// what `ps`, `top` and the memory targets read) counts the code it
// runs rather than the whole binary.
//
// Why: on this kernel (6.x, ext4 with large folios in the page cache) a
// fault on the binary's text or read-only data maps a whole large folio,
// and the controller's start (package init, the CUE schema, protobuf
// descriptors, etcd's and Kubernetes' type registrations) touches most of
// them: 63 of the 100 MB binary were resident with no node and no pod
// (BENCHMARKS.md, issue 13: memory). Those pages are clean and shared
// with the page cache; madvise(MADV_DONTNEED) on the executable's
// read-only private mappings only removes them from this process's page
// tables (nothing is lost: a later access faults them in again from the
// page cache, a minor fault). Writable mappings (the binary's data and
// bss, the heap) are never touched.
package exepages
