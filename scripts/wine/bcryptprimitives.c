/* Stand-in for Windows 10's bcryptprimitives.dll under Wine 8.0, which lacks it.
 * Rust >= 1.78's std imports ProcessPrng from it for its random seed (HashMap keys); without
 * the DLL every Rust exe exits with code 53 before main and prints nothing. Real Windows 10+
 * has the DLL; this one is only copied into the test Wine prefix (scripts/wine-prefix.sh).
 * ProcessPrng fills the buffer from RtlGenRandom (advapi32!SystemFunction036). */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
