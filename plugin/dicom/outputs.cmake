# SPDX-License-Identifier: BSD-3-Clause
# DICOM outputs (tsc_dicom_outputs.h): SEG, Secondary Capture and TID 1500 SR
# over DCMTK.  Included from plugin/dicom/CMakeLists.txt (and, as a fallback,
# from plugin/render/CMakeLists.txt); paths are relative to this file so that
# it works from either.  tsc_render is linked by name: it is defined in
# plugin/render whenever tsc_analysis exists, which src/ decides first.
# tsc_deid (tsc_deid.h): the de-identification policy shared by the reports
# (tsc_render's report.c) and the DICOM outputs; plain C API, no DCMTK.
if(NOT TARGET tsc_deid AND TARGET tsc_dicom)
  add_library(tsc_deid STATIC ${CMAKE_CURRENT_LIST_DIR}/deid.cc)
  target_include_directories(tsc_deid PUBLIC ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(tsc_deid PUBLIC tsc_base tsc_dicom)
endif()
if(TARGET tsc_render AND TARGET tsc_deid)
  target_link_libraries(tsc_render PUBLIC tsc_deid)
endif()
if(TARGET tsc_dicom_outputs OR NOT TARGET tsc_analysis)
  return()
endif()
find_package(DCMTK CONFIG REQUIRED)
file(GLOB dicom_output_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/output_*.cc)
add_library(tsc_dicom_outputs STATIC ${dicom_output_sources})
target_include_directories(tsc_dicom_outputs PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_compile_definitions(tsc_dicom_outputs PRIVATE TSC_VERSION="${PROJECT_VERSION}")
target_link_libraries(tsc_dicom_outputs PUBLIC tsc_base tsc_dicom tsc_render tsc_deid PRIVATE DCMTK::DCMTK)
