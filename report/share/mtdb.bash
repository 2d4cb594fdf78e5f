# mtdb.bash: bash completion for mtdb (installed as share/bash-completion/completions/mtdb).
# Completes subcommands, their options, formats, weights, rule kinds, query names and file
# names.
_mtdb()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local command=${COMP_WORDS[1]:-}
    if [[ $COMP_CWORD -eq 1 ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(mtdb --help 2>/dev/null |
            awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }') help" -- "$cur")
        return
    fi
    case $prev in
    -f | --format)
        local formats="text json html folded pprof"
        [[ $command == diff ]] && formats="text json"
        mapfile -t COMPREPLY < <(compgen -W "$formats" -- "$cur")
        return ;;
    -w | --weight)
        mapfile -t COMPREPLY < <(compgen -W "allocations bytes leaked" -- "$cur")
        return ;;
    --rule)
        compopt -o nospace
        mapfile -t COMPREPLY < <(compgen -W "runtime_module= allocator= std_code= library_file=" \
            -- "$cur")
        return ;;
    esac
    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(mtdb "$command" --help 2>/dev/null |
            grep -o -- '--[a-z-]*' | sort -u)" -- "$cur")
        return
    fi
    if [[ $command == query && $COMP_CWORD -eq 2 ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(mtdb query --list 2>/dev/null |
            awk '{ print $1 }')" -- "$cur")
        return
    fi
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
}
complete -o filenames -F _mtdb mtdb
