// A Go CtAPI client using cgo against native/include/ctapi.h and libctapi.so, built and run
// by tests/native/test_go.py against the demo plant (SCADA_EMU_READY_FILE). The cgo build
// flags come from CGO_CFLAGS and CGO_LDFLAGS. Errors are read the cgo way: the second result
// of a C call is errno as a syscall.Errno. Prints one line per failed check and closes with
// "N passed, M failed".
package main

/*
#cgo LDFLAGS: -lctapi
#include <stdlib.h>
#include "ctapi.h"
*/
import "C"

import (
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

const userDefinedBase = 0x10000000

var passed, failed int

func check(ok bool, what string) {
	if ok {
		passed++
		return
	}
	failed++
	fmt.Println("FAIL", what)
}

func cstr(s string) *C.char { return C.CString(s) }

func code(err error) uint32 {
	if errno, ok := err.(syscall.Errno); ok {
		return uint32(errno)
	}
	return 0
}

func read(h C.HANDLE, tag string) (string, uint32) {
	t := cstr(tag)
	defer C.free(unsafe.Pointer(t))
	buf := (*C.char)(C.malloc(100))
	defer C.free(unsafe.Pointer(buf))
	ok, err := C.ctTagRead(h, t, buf, 100)
	if ok == 0 {
		return "", code(err)
	}
	return C.GoString(buf), 0
}

func main() {
	empty, user, password, wrong := cstr(""), cstr("engineer"), cstr("control"), cstr("wrong")
	h, err := C.ctOpen(empty, user, password, 0)
	check(h != nil, fmt.Sprintf("ctOpen: %v", err))
	if h != nil {
		value, _ := read(h, "PRODUCT_CODE")
		check(value == "BLEND-A42", "PRODUCT_CODE is "+value)
		tag, v := cstr("BLEND_RATIO_SP"), cstr("0.35")
		ok, err := C.ctTagWrite(h, tag, v)
		check(ok == 1, fmt.Sprintf("ctTagWrite: %v", err))
		value, _ = read(h, "BLEND_RATIO_SP")
		check(value == "0.350", "BLEND_RATIO_SP is "+value)
		cmd := cstr("Version(3)")
		result := (*C.char)(C.malloc(32))
		n, err := C.ctCicode(h, cmd, 0, 0, result, 32, nil)
		check(n == 1, fmt.Sprintf("ctCicode: %v", err))
		check(C.GoString(result) == "8.40", "Version(3) is "+C.GoString(result))
		_, e := read(h, "NO_SUCH_TAG")
		check(e == userDefinedBase+424, fmt.Sprintf("NO_SUCH_TAG error %d", e))
		check(C.GetLastError() == userDefinedBase+424, "GetLastError() after NO_SUCH_TAG")
		ok, _ = C.ctClose(h)
		check(ok == 1, "ctClose")
		_, e = read(h, "PRODUCT_CODE")
		check(e == 6, fmt.Sprintf("after ctClose error %d", e))
	}
	bad, err := C.ctOpen(nil, user, wrong, 0)
	check(bad == nil && code(err) == userDefinedBase+274, fmt.Sprintf("wrong password: %v", err))
	fmt.Printf("%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}
