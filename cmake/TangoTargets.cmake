# Shared settings for Tango's own targets: warnings as errors, sanitizers, CUDA flags.
# tango_layer(NAME DEPS ...) builds library tango_NAME from NAME/*.cc (+ NAME/cuda/*.cu when CUDA is on).

set(TANGO_CXX_WARNINGS -Wall -Wextra -Werror -Wno-error=deprecated-declarations)

function(tango_setup_target target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:${TANGO_CXX_WARNINGS}>
    $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr -Xcompiler=-Wall,-Wextra,-Werror --Werror all-warnings>)
  if(TANGO_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
  if(TANGO_HAVE_CUDA)
    target_compile_definitions(${target} PUBLIC TANGO_HAVE_CUDA=1)
  endif()
endfunction()

function(tango_layer name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc ${CMAKE_CURRENT_SOURCE_DIR}/cpu/*.cc)
  list(FILTER srcs EXCLUDE REGEX "_main\\.cc$")
  if(TANGO_HAVE_CUDA)
    file(GLOB cuda_srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/cuda/*.cu
                                          ${CMAKE_CURRENT_SOURCE_DIR}/cuda/*.cc)
    # Under CMAKE_UNITY_BUILD (make demo) the CUDA-side files stay separate translation units: nvcc
    # and the CUDA headers are not built to share one with the CPU code.
    set_source_files_properties(${cuda_srcs} PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
    list(APPEND srcs ${cuda_srcs})
  endif()
  if(NOT srcs)
    # A layer whose only sources so far are CUDA files, in a build without CUDA: headers only.
    add_library(tango_${name} INTERFACE)
    target_include_directories(tango_${name} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(tango_${name} INTERFACE ${ARG_DEPS})
    return()
  endif()
  add_library(tango_${name} STATIC ${srcs})
  target_include_directories(tango_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(tango_${name} PUBLIC ${ARG_DEPS})
  set_target_properties(tango_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON
                                                 CUDA_SEPARABLE_COMPILATION OFF)
  tango_setup_target(tango_${name})
endfunction()

# tango_binary(NAME SOURCE DEPS ...): a command-line program installed as NAME.
function(tango_binary name source)
  add_executable(${name} ${source})
  target_link_libraries(${name} PRIVATE ${ARGN})
  tango_setup_target(${name})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin)
  install(TARGETS ${name} RUNTIME DESTINATION bin)
endfunction()
