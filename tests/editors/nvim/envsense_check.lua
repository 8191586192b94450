-- Headless Neovim drives envsense the way a user does: open a file, see the missing-import
-- diagnostic, list its code actions, run the install action, watch the diagnostic go away.
-- Works on nvim 0.7 (start_client), >= 0.8 (vim.lsp.start) and >= 0.11 (vim.lsp.config/enable
-- with ENVSENSE_MODE=config).
--
-- env: ENVSENSE_CMD   the server command as a JSON list, e.g. ["python","-m","envsense","serve"]
--      ENVSENSE_ROOT  the workspace folder
--      ENVSENSE_OUT   where the JSON result goes
--      ENVSENSE_MODE  "start" (default) or "config" (nvim >= 0.11)
-- usage: nvim --headless --clean -c 'luafile envsense_check.lua' path/to/file.py
local uv = vim.uv or vim.loop
local t0 = uv.hrtime()
local function ms() return math.floor((uv.hrtime() - t0) / 1e6) end

local out_path = os.getenv('ENVSENSE_OUT') or 'nvim-envsense.json'
local cmd = vim.json.decode(os.getenv('ENVSENSE_CMD') or '["envsense","serve"]')
local mode = os.getenv('ENVSENSE_MODE') or 'start'
local get_clients = vim.lsp.get_clients or vim.lsp.get_active_clients
local bufnr = vim.api.nvim_get_current_buf()
local fname = vim.api.nvim_buf_get_name(bufnr)
local root = os.getenv('ENVSENSE_ROOT') or vim.fn.fnamemodify(fname, ':p:h')
local v = vim.version()
local result = {
  nvim = ('%d.%d.%d'):format(v.major, v.minor, v.patch), mode = mode, file = fname,
  diagnostics = {}, code_actions = {}, chosen_action = vim.NIL, install_result = vim.NIL,
  diagnostics_after = {}, errors = {}, steps = {},
}
local server_exited = false

local function finish(ok)
  result.ok = ok
  result.elapsed_ms = ms()
  local f = assert(io.open(out_path, 'w'))
  f:write(vim.json.encode(result))
  f:close()
  for _, c in ipairs(get_clients()) do
    if vim.lsp.get_clients then c:stop() else c.stop() end
  end
  vim.wait(3000, function() return #get_clients() == 0 end, 20)
  vim.cmd(ok and 'qall!' or 'cquit! 1')
end

local function fail(message)
  table.insert(result.errors, message)
  finish(false)
end

local function step(name) result.steps[name] = ms() end

local function missing_imports()
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.source == 'envsense' and d.code == 'missing-import' then table.insert(found, d) end
  end
  return found
end

-- The server's `data` (what the quick fix needs) lives in user_data.lsp on every version;
-- nvim >= 0.10 keeps the whole LSP diagnostic there, 0.7-0.9 only some fields.
local function to_lsp(d)
  local lsp = (d.user_data or {}).lsp or {}
  return {
    range = lsp.range or { start = { line = d.lnum, character = d.col },
                           ['end'] = { line = d.end_lnum, character = d.end_col } },
    message = d.message, severity = d.severity, source = d.source,
    code = d.code or lsp.code, codeDescription = lsp.codeDescription, data = lsp.data,
  }
end

local config = {
  name = 'envsense', cmd = cmd, root_dir = root,
  workspace_folders = { { uri = vim.uri_from_fname(root), name = vim.fn.fnamemodify(root, ':t') } },
  init_options = { installer = 'auto' },
  on_exit = function(code, sig)
    server_exited = true
    if code ~= 0 then table.insert(result.errors, ('server exited code=%s sig=%s'):format(code, sig)) end
  end,
}

if mode == 'config' then                    -- nvim >= 0.11
  config.filetypes = { 'python' }
  vim.lsp.config('envsense', config)
  vim.lsp.enable('envsense')
  vim.bo[bufnr].filetype = 'python'         -- (re)fires FileType, which attaches
elseif vim.lsp.start then                   -- nvim >= 0.8
  vim.bo[bufnr].filetype = 'python'
  vim.lsp.start(config, { bufnr = bufnr })
else                                        -- nvim 0.7
  vim.bo[bufnr].filetype = 'python'
  vim.lsp.buf_attach_client(bufnr, vim.lsp.start_client(config))
end

-- 1. the missing-import diagnostic
vim.lsp.set_log_level(os.getenv('ENVSENSE_LSP_LOG') or 'warn')
-- (generous: the first check waits for discovery, which a busy machine slows down)
vim.wait(25000, function() return server_exited or #missing_imports() > 0 end, 20)
step('diagnostic')
local found = missing_imports()
if #found == 0 then
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(result.diagnostics, { lnum = d.lnum, col = d.col, code = d.code, message = d.message })
  end
  return fail(('no missing-import diagnostic (server exited: %s)'):format(tostring(server_exited)))
end
for _, d in ipairs(vim.diagnostic.get(bufnr)) do
  table.insert(result.diagnostics, { lnum = d.lnum, col = d.col, end_lnum = d.end_lnum,
    end_col = d.end_col, severity = d.severity, message = d.message, source = d.source,
    code = d.code })
end

-- 2. its code actions
local d0 = found[1]
vim.api.nvim_win_set_cursor(0, { d0.lnum + 1, d0.col })
local params = vim.lsp.util.make_range_params(0, 'utf-16')
params.context = { diagnostics = { to_lsp(d0) } }
local responses, err = vim.lsp.buf_request_sync(bufnr, 'textDocument/codeAction', params, 10000)
step('code_actions')
if not responses then return fail('codeAction failed: ' .. tostring(err)) end
local install
for _, resp in pairs(responses) do
  if resp.error or resp.err then table.insert(result.errors, vim.inspect(resp.error or resp.err)) end
  for _, action in ipairs(resp.result or {}) do
    table.insert(result.code_actions, action.title)
    if install == nil and action.isPreferred and type(action.command) == 'table' then
      install = action
    end
  end
end
if install == nil then return fail('no preferred code action carrying a command') end
result.chosen_action = install.title

-- 3. run it the way an editor does: workspace/executeCommand with the action's Command
local exec, exec_err = vim.lsp.buf_request_sync(bufnr, 'workspace/executeCommand',
  { command = install.command.command, arguments = install.command.arguments }, 30000)
step('install')
if not exec then return fail('executeCommand failed: ' .. tostring(exec_err)) end
for _, resp in pairs(exec) do
  if resp.error or resp.err then return fail('executeCommand error: ' .. vim.inspect(resp.error or resp.err)) end
  result.install_result = resp.result
end

-- 4. the server re-checks after the install: the diagnostic goes away
local cleared = vim.wait(15000, function() return server_exited or #missing_imports() == 0 end, 20)
step('cleared')
for _, d in ipairs(vim.diagnostic.get(bufnr)) do
  table.insert(result.diagnostics_after, { lnum = d.lnum, col = d.col, code = d.code, message = d.message })
end
if not cleared or #missing_imports() > 0 then return fail('missing-import still shown after the install') end
finish(#result.errors == 0)
