/* victim_cxx.cpp: C++ allocation: new/delete, arrays, sized and aligned forms, nothrow.
 *
 * Every object's size is a marker size; counts are reported per form.
 */
#include <cstdint>
#include <new>

#include "victim_common.h"

struct Plain {
    char bytes[VC_MARK_LO + 100];
};
struct Sized {
    char bytes[VC_MARK_LO + 300];
};
struct alignas(64) Aligned {
    char bytes[VC_MARK_LO + 1024]; /* 42024 is a multiple of 64 */
};

template <typename T> static T *kept(T *p)
{
    vc_touch(p);
    return p;
}

int main()
{
    for (int k = 0; k < 5; k++)
        delete kept(new Plain);
    for (int k = 0; k < 5; k++)
        delete[] kept(new char[VC_MARK(200 + k)]);
    for (int k = 0; k < 3; k++)
        delete kept(new Sized); /* sized delete: operator delete(void *, size_t) */
    for (int k = 0; k < 3; k++)
        ::operator delete(kept(::operator new(VC_MARK(400))), VC_MARK(400));
    for (int k = 0; k < 4; k++)
        delete kept(new Aligned); /* operator new(size_t, align_val_t) */
    for (int k = 0; k < 2; k++)
        delete[] kept(new (std::nothrow) char[VC_MARK(500)]);
    volatile size_t huge = SIZE_MAX / 2;
    int failed = 0;
    for (int k = 0; k < 2; k++)
        failed += ::operator new(huge, std::nothrow) == nullptr;
    vc_put("malloc", 5 + 5 + 3 + 3 + 2);
    vc_put("aligned", 4);
    vc_put("nothrow_failed", failed);
    vc_put("frees", 5 + 5 + 3 + 3 + 4 + 2);
    return 0;
}
