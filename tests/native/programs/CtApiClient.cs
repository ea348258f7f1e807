// A C# CtAPI client in the style of the public .NET wrappers (P/Invoke with
// DllImport("CtApi", SetLastError = true), string and StringBuilder marshalling, IntPtr
// handles, Marshal.GetLastWin32Error), compiled with mono's mcs and run with mono by
// tests/native/test_csharp.py against the demo plant (SCADA_EMU_READY_FILE). mono loads
// libCtApi.so from LD_LIBRARY_PATH; on Windows the same program loads CtApi.dll. Prints one
// line per failed check and closes with "N passed, M failed".
using System;
using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Text;

static class CtApi
{
    public const uint ERROR_USER_DEFINED_BASE = 0x10000000;

    [DllImport("CtApi", EntryPoint = "ctSetManagedBinDirectory", SetLastError = true)]
    public static extern bool SetManagedBinDirectory(string path);

    [DllImport("CtApi", EntryPoint = "ctOpen", SetLastError = true)]
    public static extern IntPtr Open(string computer, string user, string password, uint mode);

    [DllImport("CtApi", EntryPoint = "ctClose", SetLastError = true)]
    public static extern bool Close(IntPtr hCtapi);

    [DllImport("CtApi", EntryPoint = "ctTagRead", SetLastError = true)]
    public static extern bool TagRead(IntPtr hCtapi, string tag, StringBuilder value, int length);

    [DllImport("CtApi", EntryPoint = "ctTagWrite", SetLastError = true)]
    public static extern bool TagWrite(IntPtr hCtapi, string tag, string value);

    [DllImport("CtApi", EntryPoint = "ctCicode", SetLastError = true)]
    public static extern uint Cicode(IntPtr hCtapi, string cmd, uint hWin, uint mode,
                                     StringBuilder result, int length, IntPtr overlapped);
}

static class Program
{
    static int passed, failed;

    static void Check(bool ok, string what)
    {
        if (ok) { passed++; return; }
        failed++;
        Console.WriteLine("FAIL " + what);
    }

    static int Main()
    {
        Check(CtApi.SetManagedBinDirectory(@"C:\Program Files (x86)\AVEVA Plant SCADA\Bin\Bin (x64)"),
              "ctSetManagedBinDirectory");
        IntPtr h = CtApi.Open(null, "engineer", "control", 0);
        Check(h != IntPtr.Zero, "ctOpen: " + new Win32Exception(Marshal.GetLastWin32Error()).Message);
        if (h != IntPtr.Zero)
        {
            var value = new StringBuilder(100);
            Check(CtApi.TagRead(h, "PRODUCT_CODE", value, value.Capacity), "ctTagRead PRODUCT_CODE");
            Check(value.ToString() == "BLEND-A42", "PRODUCT_CODE is " + value);
            Check(CtApi.TagWrite(h, "BLEND_RATIO_SP", "0.6"), "ctTagWrite BLEND_RATIO_SP");
            Check(CtApi.TagRead(h, "BLEND_RATIO_SP", value, value.Capacity), "ctTagRead BLEND_RATIO_SP");
            Check(value.ToString() == "0.600", "BLEND_RATIO_SP is " + value);
            var result = new StringBuilder(32);
            Check(CtApi.Cicode(h, "Version(3)", 0, 0, result, result.Capacity, IntPtr.Zero) == 1,
                  "ctCicode Version(3)");
            Check(result.ToString() == "8.40", "Version(3) is " + result);

            Check(!CtApi.TagRead(h, "NO_SUCH_TAG", value, value.Capacity), "ctTagRead NO_SUCH_TAG fails");
            int error = Marshal.GetLastWin32Error();
            Check((uint)error == CtApi.ERROR_USER_DEFINED_BASE + 424, "NO_SUCH_TAG error " + error);
            var small = new StringBuilder(4);
            Check(!CtApi.TagRead(h, "PRODUCT_CODE", small, small.Capacity), "small buffer fails");
            Check(Marshal.GetLastWin32Error() == 111, "small buffer error " + Marshal.GetLastWin32Error());
            Check(CtApi.Close(h), "ctClose");
            Check(!CtApi.TagRead(h, "PRODUCT_CODE", value, value.Capacity), "read after ctClose fails");
            Check(Marshal.GetLastWin32Error() == 6, "after ctClose error " + Marshal.GetLastWin32Error());
        }
        Check(CtApi.Open(null, "engineer", "wrong", 0) == IntPtr.Zero, "a wrong password is refused");
        Check((uint)Marshal.GetLastWin32Error() == CtApi.ERROR_USER_DEFINED_BASE + 274,
              "wrong password error " + Marshal.GetLastWin32Error());
        Check(CtApi.Open("NO-SUCH-PC", "engineer", "control", 0) == IntPtr.Zero, "unknown computer");
        Check(Marshal.GetLastWin32Error() == 53, "unknown computer error " + Marshal.GetLastWin32Error());
        Console.WriteLine(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }
}
