-- Neovim 0.7's built-in client against the real server (docs/editors.md, "Neovim"), run headless by run.sh:
-- nvim --headless -u NONE -n -c 'luafile tests/editors/nvim.lua'. Prints PASS/FAIL lines; exits 1 on a failure.
local dll = assert(os.getenv('AGNEWS_SERVER_DLL'), 'AGNEWS_SERVER_DLL')
local workdir = assert(os.getenv('AGNEWS_EDITORS_WORK'), 'AGNEWS_EDITORS_WORK')
local first_timeout = tonumber(os.getenv('AGNEWS_EDITORS_TIMEOUT_MS') or '90000') -- the first request loads the model
local failures = 0
local function report(ok, what, detail)
  io.stdout:write(string.format('%s nvim: %s%s\n', ok and 'PASS' or 'FAIL', what, detail and (' (' .. detail .. ')') or ''))
  if not ok then failures = failures + 1 end
end
local function finish()
  io.stdout:flush()
  vim.cmd(failures == 0 and 'qall!' or 'cquit! 1')
end

local file = workdir .. '/news.txt'
local f = assert(io.open(file, 'w'))
f:write('The striker scored twice as the home side won the cup final in front of a record crowd.\n')
f:close()
vim.cmd('edit ' .. file)
local bufnr = vim.api.nvim_get_current_buf()

-- The same configuration docs/editors.md shows.
local client_id = vim.lsp.start_client({
  name = 'agnews',
  cmd = { 'dotnet', dll, 'serve', '--stdio', '--data-folder', workdir },
  root_dir = workdir,
  init_options = { hoverUnit = 'paragraph' },
  settings = { agnews = { maxInlineLabels = 200 } },
  on_init = function(client)
    -- what nvim-lspconfig does with `settings`
    client.notify('workspace/didChangeConfiguration', { settings = client.config.settings })
  end,
})
vim.lsp.buf_attach_client(bufnr, client_id)
local client = vim.lsp.get_client_by_id(client_id)
if not vim.wait(30000, function() return client.initialized end, 50) then
  report(false, 'initialize')
  return finish()
end
report(true, 'initialize')

local function hover(line)
  local params = { textDocument = { uri = vim.uri_from_bufnr(bufnr) }, position = { line = line, character = 2 } }
  local reply, err = client.request_sync('textDocument/hover', params, first_timeout, bufnr)
  if not reply then return nil, err end
  if reply.err then return nil, vim.inspect(reply.err) end
  return reply.result
end

local h, err = hover(0)
report(h ~= nil and h.contents.kind == 'markdown' and h.contents.value:match('^%*%*') ~= nil, 'hover (markdown)',
  h and h.contents.value:match('^[^\n]*') or err)

-- an incremental edit (the server advertises change = 2): a second paragraph, then a hover on it
vim.api.nvim_buf_set_lines(bufnr, 1, 1, false, { '', 'Shares of the bank fell after profits missed forecasts and the dollar slipped.' })
h, err = hover(2)
report(h ~= nil and h.range.start.line == 2 and h.range['end'].line == 2, 'incremental edit, hover on the new paragraph',
  h and h.contents.value:match('^[^\n]*') or err)

-- a custom request with Lua's {} (encoded as params: []), and the same as a command with arguments { {} }
local reply = client.request_sync('agnews/status', {}, 10000, bufnr)
report(reply ~= nil and reply.err == nil and type(reply.result.modelName) == 'string', 'agnews/status with params []',
  reply and (reply.err and vim.inspect(reply.err) or reply.result.modelName) or 'no reply')
reply = client.request_sync('workspace/executeCommand', { command = 'agnews/status', arguments = { {} } }, 10000, bufnr)
report(reply ~= nil and reply.err == nil, 'executeCommand agnews/status with arguments [[]] (Lua { {} })', reply and reply.err and vim.inspect(reply.err))

-- lenses carry an advertised command, so running one is allowed
reply = client.request_sync('textDocument/codeLens', { textDocument = { uri = vim.uri_from_bufnr(bufnr) } }, 10000, bufnr)
local lenses = reply and reply.result or {}
local advertised = client.server_capabilities.executeCommandProvider.commands
report(#lenses == 2 and vim.tbl_contains(advertised, lenses[1].command.command), 'codeLens commands are advertised',
  #lenses .. ' lenses, ' .. (lenses[1] and lenses[1].command.command or '-'))

-- shutdown and exit (client.stop), then the process must be gone on its own
local pid = client.rpc.pid
local started = vim.loop.hrtime()
client.stop()
local gone = vim.wait(3000, function() return vim.loop.kill(pid, 0) ~= 0 end, 10)
report(gone, 'shutdown and exit end the server', string.format('%.0f ms', (vim.loop.hrtime() - started) / 1e6))
finish()
