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

-- docs/editors.md, "Labelling from Neovim": the new-class action carries no label; ask for one, then run the command.
local function agnews_correct(command, ctx)
  local args = vim.deepcopy(command.arguments[1])
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  local function send(label)
    args.label = label
    client.request('workspace/executeCommand', { command = command.command, arguments = { args } }, function(err, result)
      vim.notify(err and err.message or result.message, err and vim.log.levels.ERROR or vim.log.levels.INFO)
    end, ctx.bufnr)
  end
  if args.label == nil or args.label == vim.NIL then
    vim.ui.input({ prompt = 'New class: ' }, function(label)
      if label and label ~= '' then send(label) end
    end)
  else
    send(args.label)
  end
end

-- docs/editors.md: :AgnewsSuggest puts the paragraphs to label next into the quickfix list.
vim.api.nvim_create_user_command('AgnewsSuggest', function()
  vim.lsp.buf_request(0, 'agnews/suggest', { max = 20 }, function(err, result)
    if err then return vim.notify(err.message, vim.log.levels.ERROR) end
    vim.fn.setqflist(vim.tbl_map(function(s)
      return { filename = vim.uri_to_fname(s.uri), lnum = s.range.start.line + 1,
               text = string.format('%s %.0f%% (margin %.2f)', s.prediction.label, 100 * s.prediction.probabilities[s.prediction.label], s.margin) }
    end, result.suggestions))
  end)
end, {})

-- The same configuration docs/editors.md shows.
local client_id = vim.lsp.start_client({
  name = 'agnews',
  cmd = { 'dotnet', dll, 'serve', '--stdio', '--data-folder', workdir },
  root_dir = workdir,
  init_options = { hoverUnit = 'paragraph' },
  settings = { agnews = { maxInlineLabels = 200 } },
  commands = { ['agnews/correct'] = agnews_correct },
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

-- Teaching in place (docs/editors.md, "Labelling"): correct -> learn -> suggest -> undo, through the server's code actions.
local uri = vim.uri_from_bufnr(bufnr)
local dataset = workdir .. '/.agnews/labels.jsonl' -- the workspace folder's corrections file
vim.api.nvim_buf_set_lines(bufnr, 3, 3, false, {
  '', 'Shares of the bank fell again after its profits missed forecasts and the dollar slipped.',
  '', 'The band released a new album and began a world tour with concerts in ten cities.',
})
local function rows()
  local lines = vim.fn.filereadable(dataset) == 1 and vim.fn.readfile(dataset) or {}
  return vim.tbl_map(function(l) return vim.json.decode(l) end, lines)
end
local function actions_at(line)
  local r = client.request_sync('textDocument/codeAction', { textDocument = { uri = uri },
    range = { start = { line = line, character = 0 }, ['end'] = { line = line, character = 0 } }, context = { diagnostics = {} } }, 30000, bufnr)
  return r and r.result or {}, r and r.err
end
local function first_line(line)
  local hv = hover(line)
  return hv and hv.contents.value:match('^[^\n]*') or '-'
end

-- "Label as X" on the bank paragraph, X the class the head thinks least likely: executeCommand with the action's arguments
local actions, aerr = actions_at(2)
local titles = vim.tbl_map(function(a) return a.title end, actions)
local label_as = vim.tbl_filter(function(a) return a.title:match('^Label as ') and a.title ~= 'Label as a new class...' end, actions)
report(#label_as >= 4 and titles[#titles - 1] == 'Label as a new class...' and titles[#titles] == 'Undo the last label',
  'codeAction lists Label as each class, a new class, undo', aerr and vim.inspect(aerr) or table.concat(titles, ', '))
local chosen = label_as[#label_as]
local label = chosen and chosen.command.arguments[1].label or '?'
reply = chosen and client.request_sync('workspace/executeCommand',
  { command = chosen.command.command, arguments = chosen.command.arguments }, 30000, bufnr)
report(reply ~= nil and reply.err == nil and reply.result.label == label and #rows() == 1 and rows()[1].label == label,
  'executeCommand of "Label as ' .. label .. '" writes the corrections file', reply and (reply.err and vim.inspect(reply.err) or reply.result.message))
local hv = first_line(2)
report(hv == '**' .. label .. '** · labelled by you', 'hover on the corrected paragraph says labelled by you', hv)
hv = first_line(4)
report(hv:match('^%*%*' .. vim.pesc(label) .. '%*%*') ~= nil, 'a similar paragraph follows the label', hv)

-- "Label as a new class...": the action has no label; the client-side command asks (vim.ui.input, answered here as a user would)
vim.ui.select = function(items, opts, on_choice)
  for i, item in ipairs(items) do
    if (opts.format_item and opts.format_item(item) or item[2].title):match('new class') then return on_choice(item, i) end
  end
  on_choice(nil)
end
local asked
vim.ui.input = function(opts, on_confirm) asked = opts.prompt; on_confirm('Music') end
vim.api.nvim_win_set_cursor(0, { 7, 0 })
vim.lsp.buf.code_action()
local taught = vim.wait(30000, function() local r = rows(); return #r == 2 and r[2].label == 'Music' end, 50)
report(taught and asked == 'New class: ', 'the new-class action asks for the name and labels with it', asked or 'not asked')
hv = first_line(6)
report(hv == '**Music** · labelled by you', 'hover on the new-class paragraph', hv)
reply = client.request_sync('textDocument/codeLens', { textDocument = { uri = uri } }, 30000, bufnr)
local lens_titles = vim.tbl_map(function(l) return l.command.title end, reply and reply.result or {})
report(vim.tbl_contains(lens_titles, 'Music · labelled by you') and vim.tbl_contains(lens_titles, label .. ' · labelled by you'),
  'lenses mark both labels as yours', table.concat(lens_titles, ', '))

-- what to label next: the open documents' paragraphs the head is least sure of, without the ones labelled
reply = client.request_sync('agnews/suggest', { uris = { uri }, max = 10 }, 30000, bufnr)
local suggested = reply and reply.result and reply.result.suggestions or {}
local lines = vim.tbl_map(function(x) return x.range.start.line end, suggested)
report(reply and reply.err == nil and #suggested == 2 and not vim.tbl_contains(lines, 2) and not vim.tbl_contains(lines, 6),
  'agnews/suggest leaves out the labelled paragraphs', reply and reply.err and vim.inspect(reply.err) or ('lines ' .. table.concat(lines, ', ')))

vim.fn.setqflist({})
vim.cmd('AgnewsSuggest')
local filled = vim.wait(30000, function() return #vim.fn.getqflist() == 2 end, 50)
local qf = vim.fn.getqflist()
report(filled and qf[1].bufnr == bufnr and qf[1].text:match('%(margin 0%.%d%d%)$') ~= nil, ':AgnewsSuggest fills the quickfix list',
  qf[1] and (qf[1].lnum .. ': ' .. qf[1].text) or 'empty')

-- undo the last label: the new class goes, the first correction stays
reply = client.request_sync('agnews/undoCorrection', { textDocument = { uri = uri } }, 30000, bufnr)
local left = rows()
report(reply and reply.err == nil and reply.result.undone and reply.result.label == 'Music' and #left == 1 and left[1].label == label,
  'agnews/undoCorrection takes the new class back', reply and (reply.err and vim.inspect(reply.err) or (#left .. ' row(s) left')))
hv = first_line(6)
report(hv:find('labelled by you', 1, true) == nil, 'the paragraph is the head\'s again', hv)

-- shutdown and exit (client.stop), then the process must be gone on its own
local pid = client.rpc.pid
local started = vim.loop.hrtime()
client.stop()
local gone = vim.wait(3000, function() return vim.loop.kill(pid, 0) ~= 0 end, 10)
report(gone, 'shutdown and exit end the server', string.format('%.0f ms', (vim.loop.hrtime() - started) / 1e6))
finish()
