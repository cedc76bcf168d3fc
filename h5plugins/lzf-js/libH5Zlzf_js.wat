;; An HDF5 filter plugin (Emscripten side module) for LZF (filter 32000) whose filter function is a
;; JavaScript import, `h5js_lzf_filter`, supplied when HDF5 dlopen()s this module (see ../lzf-js.mjs).
;; h5wasm-plugins 0.2.1's libH5Zlzf.so is HDFGroup hdf5_plugins' H5Zlzf.c at 5d7fe9c, which gives up
;; instead of retrying when its output-size guess is too small (always so for variable-length strings
;; written by h5py, which record no size) and calls errno, which h5wasm 0.10.3 does not export.
;; Build: wat2wasm libH5Zlzf_js.wat -o raw.wasm && node add-dylink.mjs raw.wasm libH5Zlzf_js.so
(module
  (import "env" "memory" (memory 0))
  (import "env" "__indirect_function_table" (table 0 funcref))
  (import "env" "__memory_base" (global $mb i32))
  (import "env" "__table_base" (global $tb i32))
  ;; size_t filter(unsigned flags, size_t cd_nelmts, const unsigned cd_values[], size_t nbytes, size_t *buf_size, void **buf)
  (import "env" "h5js_lzf_filter" (func $filter (param i32 i32 i32 i32 i32 i32) (result i32)))
  (elem (global.get $tb) $filter)
  ;; H5Z_class2_t at $mb: version 1, id 32000, encoder_present 0, decoder_present 1, name, can_apply 0,
  ;; set_local 0, filter (pointers filled in by H5PLget_plugin_info); the name string at $mb + 32
  (data (global.get $mb)
    "\01\00\00\00" "\00\7d\00\00" "\00\00\00\00" "\01\00\00\00" "\00\00\00\00" "\00\00\00\00" "\00\00\00\00" "\00\00\00\00"
    "lzf (decoder in JavaScript)\00")
  (func (export "H5PLget_plugin_type") (result i32) (i32.const 0)) ;; H5PL_TYPE_FILTER
  (func (export "H5PLget_plugin_info") (result i32)
    (i32.store offset=16 (global.get $mb) (i32.add (global.get $mb) (i32.const 32)))
    (i32.store offset=28 (global.get $mb) (global.get $tb))
    (global.get $mb))
)
