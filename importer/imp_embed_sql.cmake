# imp_embed_sql.cmake: turns sql/*.sql into a C file (run by the build, `cmake -P`).
# Inputs: SQL_DIR, OUT. Each file becomes a NUL-terminated byte array named in load order,
# so the importer binary and its schema can never drift apart. Never edits sql/.
file(GLOB sql_files RELATIVE ${SQL_DIR} ${SQL_DIR}/*.sql)
list(SORT sql_files)
set(body "/* Generated from the sql folder by imp_embed_sql.cmake: do not edit. */\n")
string(APPEND body "#include \"imp_sql.h\"\n\n")
set(table "const imp_sql_file_t imp_sql_files[] = {\n")
set(i 0)
foreach(f IN LISTS sql_files)
  file(READ ${SQL_DIR}/${f} hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND body "static const char imp_sql_${i}[] = {${bytes}0};\n")
  string(APPEND table "    {\"${f}\", imp_sql_${i}},\n")
  math(EXPR i "${i} + 1")
endforeach()
string(APPEND table "};\nconst int imp_sql_file_count = ${i};\n")
file(WRITE ${OUT}.new "${body}\n${table}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUT}.new ${OUT})
