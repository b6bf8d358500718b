/* Starting pagoda.efi from a test boot step (boot/chain_start.h). */
#include <efi.h>
#include <efilib.h>

#include "boot/chain_start.h"

static CHAR16 pagoda_path[] = L"\\EFI\\pagoda\\pagoda.efi";

EFI_STATUS chain_start_pagoda(EFI_HANDLE image, const CHAR16 *who)
{
	EFI_LOADED_IMAGE *li;
	EFI_STATUS s = uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (void **)&li);
	if (EFI_ERROR(s)) {
		Print(L"%s: no LoadedImage protocol: %r\r\n", who, s);
		return s;
	}
	EFI_DEVICE_PATH *dp = FileDevicePath(li->DeviceHandle, pagoda_path);
	if (!dp) {
		Print(L"%s: cannot build the device path of %s\r\n", who, pagoda_path);
		return EFI_OUT_OF_RESOURCES;
	}
	EFI_HANDLE child;
	s = uefi_call_wrapper(BS->LoadImage, 6, FALSE, image, dp, NULL, 0, &child);
	if (EFI_ERROR(s)) {
		Print(L"%s: cannot load %s: %r\r\n", who, pagoda_path, s);
		return s;
	}
	Print(L"%s: starting %s\r\n", who, pagoda_path);
	s = uefi_call_wrapper(BS->StartImage, 3, child, NULL, NULL);
	Print(L"%s: %s returned: %r\r\n", who, pagoda_path, s);
	return s;
}
